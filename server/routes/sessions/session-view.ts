/**
 * A session as the API shows it (SessionView in schema.ts), from its stored
 * row and whether its network is in memory now. Shared by every route that
 * answers with a session, so they cannot drift apart.
 */
import type { SessionRow } from "../../sessions/session-repository.js";
import type { SessionView } from "./schema.js";

export function sessionView(row: SessionRow, live: boolean): SessionView {
  return {
    id: row.id,
    labId: row.labId,
    owner: { id: row.ownerId, name: row.ownerName },
    seed: row.seed,
    startTime: row.startTime,
    commandCount: row.commandCount,
    nextSeq: row.nextSeq,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
    lastCommandAt: row.lastCommandAt === null ? null : row.lastCommandAt.toISOString(),
    storedBytes: row.storedBytes,
    archivedAt: row.archivedAt === null ? null : row.archivedAt.toISOString(),
    live,
  };
}
