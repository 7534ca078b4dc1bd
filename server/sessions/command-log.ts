/**
 * Writes command rows in groups (group commit). Each command waits for its
 * own row to be committed, as before; but the commands of many sessions that
 * arrive while a write is under way are written together in the next one, so
 * a busy server pays one transaction per group instead of one per command.
 * A session has at most one command in here at a time (its queue waits for
 * the write), so a group never reorders a session's log.
 *
 * When a group fails, its rows are written again one by one, so a bad row
 * (its session deleted meanwhile) fails alone.
 */
import type { NewCommand } from "./session-repository.js";

export interface LogEntry {
  sessionId: string;
  command: NewCommand;
}

interface Pending extends LogEntry {
  resolve: () => void;
  reject: (err: unknown) => void;
}

export class CommandLog {
  private pending: Pending[] = [];
  private scheduled = false;
  private draining: Promise<void> | null = null;

  constructor(
    private readonly write: (entries: readonly LogEntry[]) => Promise<void>,
    private readonly maxGroup: number,
  ) {}

  /** Resolves once the row is committed; rejects when it could not be. */
  append(sessionId: string, command: NewCommand): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ sessionId, command, resolve, reject });
      this.schedule();
    });
  }

  /** Resolves when everything appended so far is written (or failed). */
  async flushed(): Promise<void> {
    while (this.draining !== null || this.scheduled || this.pending.length > 0) {
      await (this.draining ?? new Promise((resolve) => setImmediate(resolve)));
    }
  }

  private schedule(): void {
    if (this.scheduled || this.draining !== null) return;
    this.scheduled = true;
    // Wait for the rest of this turn of the event loop: requests read in the
    // same I/O phase reach here before it ends and join the first group.
    setImmediate(() => {
      this.scheduled = false;
      this.draining = this.drain().finally(() => {
        this.draining = null;
        if (this.pending.length > 0) this.schedule();
      });
    });
  }

  private async drain(): Promise<void> {
    while (this.pending.length > 0) {
      const group = this.pending.splice(0, this.maxGroup);
      try {
        await this.write(group);
        for (const entry of group) entry.resolve();
      } catch (err) {
        if (group.length === 1) {
          group[0]!.reject(err);
          continue;
        }
        for (const entry of group) {
          try {
            await this.write([entry]);
            entry.resolve();
          } catch (single) {
            entry.reject(single);
          }
        }
      }
    }
  }
}
