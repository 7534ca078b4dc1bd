/**
 * Group commit: commands that arrive while a write is under way are written
 * together next; each still waits for its own row; a bad row fails alone.
 */
import { describe, expect, it } from "vitest";
import { CommandLog, type LogEntry } from "../../server/sessions/command-log.js";
import type { NewCommand } from "../../server/sessions/session-repository.js";

const command = (index: number): NewCommand => ({
  index,
  host: "node1",
  namespace: null,
  command: "ip route",
  output: "",
  exitCode: 0,
  at: 0,
  eventsFrom: 0,
  eventsTo: 0,
  events: new Uint8Array(0),
  interruption: null,
  createdAt: new Date(0),
});

describe("CommandLog", () => {
  it("writes what arrived during a write as the next group, and resolves each append once its group is written", async () => {
    const groups: string[][] = [];
    let release = () => {};
    const log = new CommandLog(async (entries: readonly LogEntry[]) => {
      groups.push(entries.map((e) => e.sessionId));
      if (groups.length === 1) await new Promise<void>((resolve) => (release = resolve));
    }, 100);

    const first = log.append("a", command(0));
    await new Promise((resolve) => setImmediate(resolve));
    expect(groups).toEqual([["a"]]);
    const later = ["b", "c", "d"].map((id) => log.append(id, command(0)));
    let firstDone = false;
    void first.then(() => (firstDone = true));
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(firstDone).toBe(false);

    release();
    await Promise.all([first, ...later]);
    expect(groups).toEqual([["a"], ["b", "c", "d"]]);
    await log.flushed();
  });

  it("appends made in one turn of the event loop share a group, up to maxGroup", async () => {
    const groups: number[] = [];
    const log = new CommandLog(async (entries) => void groups.push(entries.length), 3);
    await Promise.all(Array.from({ length: 7 }, (_, i) => log.append(`s${i}`, command(0))));
    expect(groups).toEqual([3, 3, 1]);
  });

  it("when a group fails, writes its rows one by one so only the bad one fails", async () => {
    const written: string[] = [];
    const log = new CommandLog(async (entries) => {
      if (entries.some((e) => e.sessionId === "deleted")) throw new Error("FOREIGN KEY constraint failed");
      written.push(...entries.map((e) => e.sessionId));
    }, 10);
    const results = await Promise.allSettled(["a", "deleted", "b"].map((id) => log.append(id, command(0))));
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect(written).toEqual(["a", "b"]);
  });
});
