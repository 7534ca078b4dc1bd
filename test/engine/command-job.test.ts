/**
 * Commands in steps, and the limits checked between them: a long ping stops
 * with its statistics and a message naming the limit, the trace says so with
 * a drop event, the session goes on, and a replay given the recorded stop
 * prints and records exactly the same.
 */
import { describe, expect, it } from "vitest";
import { CommandJob } from "../../server/engine/command-job.js";
import { DEFAULT_LIMITS } from "../../server/engine/limits.js";
import { replaySession } from "../../server/engine/replay.js";
import { labEngine, loadLab } from "./helpers/lab-engine.js";

const NGINX1 = { host: "node1", namespace: "nginx-1" } as const;

describe("commands in steps", () => {
  it("a ping stepped one probe interval at a time gives what the same ping gives run at once", () => {
    const stepped = labEngine("bridge-two-containers");
    const whole = labEngine("bridge-two-containers");
    const job = stepped.start({ ...NGINX1, command: "ping -c 5 172.17.0.3" });
    expect(job).toBeInstanceOf(CommandJob);
    let steps = 0;
    while (!(job as CommandJob).step()) steps++;
    // One step to start, then one per second of virtual time: the engine could pause between probes.
    expect(steps).toBeGreaterThanOrEqual(4);
    const a = (job as CommandJob).result();
    const b = whole.run({ ...NGINX1, command: "ping -c 5 172.17.0.3" });
    expect(a.output).toBe(b.output);
    expect(a.events).toEqual(b.events);
    expect(a.output).toContain("5 packets transmitted, 5 received, 0% packet loss");
  });

  it("events taken while the command runs are the ones its result would have held, in order, and the event limit still counts them", () => {
    const limits = { ...DEFAULT_LIMITS, commandEvents: 3_000 };
    const stepped = labEngine("bridge-two-containers", { limits });
    const whole = labEngine("bridge-two-containers", { limits });
    const job = stepped.start({ ...NGINX1, command: "ping -c 500 172.17.0.3" }) as CommandJob;
    const taken = [];
    while (!job.step()) taken.push(...job.takeEvents());
    expect(taken.length).toBeGreaterThan(0);
    const a = job.result();
    const b = whole.run({ ...NGINX1, command: "ping -c 500 172.17.0.3" });
    expect([...taken, ...a.events]).toEqual(b.events);
    expect(a.output).toBe(b.output);
    // Taking them does not reset the command's event count: the limit stops both at the same step.
    expect(a.interruption).toEqual(b.interruption);
    expect(a.interruption?.reason).toBe("event-budget");
    expect(job.takeEvents()).toEqual([]);
  });

  it("a replay hands each command's events to its observer a step at a time, every one once and in order", () => {
    const lab = loadLab("bridge-two-containers");
    const commands = [
      { ...NGINX1, command: "ping -c 40 172.17.0.3", at: 1_000_000 },
      { ...NGINX1, command: "ip neigh", at: 60_000_000 },
    ];
    const original = labEngine("bridge-two-containers", { seed: 3 });
    const expected = commands.map((c) => original.run(c).events);

    const seen: { index: number; pieces: number; events: unknown[] }[] = [];
    const ended: number[] = [];
    const replayed = replaySession({ topology: lab.topology, seed: 3, startTime: 0, limits: DEFAULT_LIMITS, commands }, undefined, {
      commandStarts: (index) => seen.push({ index, pieces: 0, events: [] }),
      commandEvents: (index, events) => {
        const current = seen.at(-1)!;
        expect(current.index).toBe(index);
        current.pieces++;
        current.events.push(...events);
      },
      commandEnded: (index) => ended.push(index),
    });
    expect(replayed.kind).toBe("ok");
    expect(ended).toEqual([0, 1]);
    expect(seen.map((s) => s.events)).toEqual(expected);
    // A ping of forty probes over forty seconds of virtual time: its events came in many pieces, not held to its end.
    expect(seen[0]!.pieces).toBeGreaterThan(10);
  });

  it("ping -c 100000 sends as many as asked until the event limit stops it, with true statistics and a message naming the limit", () => {
    const limits = { ...DEFAULT_LIMITS, commandEvents: 2_000 };
    const engine = labEngine("bridge-two-containers", { limits });
    const r = engine.run({ ...NGINX1, command: "ping -c 100000 172.17.0.3" });
    const sent = Number(/(\d+) packets transmitted, (\d+) received/.exec(r.output)![1]);
    // More than the old silent cap of 1,000 would allow for this budget? No: the budget is what stops it, and says how far it got.
    expect(sent).toBeGreaterThan(10);
    expect(sent).toBeLessThan(100_000);
    expect(r.output).toContain(`cnlab: the command was stopped after ${sent} of 100000 packets sent: it reached the limit of 2000 trace events one command may record.`);
    expect(r.output).not.toContain("loop");
    expect(r.exitCode).toBe(0);
    expect(r.interruption).toEqual({ reason: "event-budget", afterSteps: expect.any(Number), limit: 2000 });
    const stop = r.events.filter((e) => e.kind === "drop" && e.reason === "event-budget");
    expect(stop).toHaveLength(1);
    // Only the last probe's answer, already on its way, follows the stop (and finds no socket, as on Linux once ping has exited).
    expect(r.events.length - r.events.indexOf(stop[0]!)).toBeLessThan(30);
    expect(r.events.length).toBeLessThan(2_000 + 200);
    // The session is usable afterwards, and nothing of the stopped ping is left behind.
    const next = engine.run({ ...NGINX1, command: "ping -c 1 172.17.0.3" });
    expect(next.exitCode).toBe(0);
    expect(next.output).toContain("1 packets transmitted, 1 received");
  });

  it("a stop from outside (a CPU budget) is recorded by step, and a replay stops the command at the same step with the same output and trace", () => {
    const lab = loadLab("bridge-two-containers");
    const engine = labEngine("bridge-two-containers", { seed: 7 });
    const job = engine.start({ ...NGINX1, command: "ping -c 50 172.17.0.3", at: 1_000_000 }) as CommandJob;
    for (let i = 0; i < 6; i++) job.step();
    job.interrupt("cpu-budget", 2000);
    expect(job.done).toBe(true);
    const first = job.result();
    expect(first.interruption).toEqual({ reason: "cpu-budget", afterSteps: 6, limit: 2000 });
    const sent = Number(/(\d+) packets transmitted/.exec(first.output)![1]);
    expect(sent).toBeGreaterThanOrEqual(5);
    expect(sent).toBeLessThan(50);
    expect(first.output).toContain(`cnlab: the command was stopped after ${sent} of 50 packets sent: it used the 2000 ms of simulator time one command may take.`);

    const replayed = replaySession({
      topology: lab.topology,
      seed: 7,
      startTime: 0,
      limits: DEFAULT_LIMITS,
      commands: [
        { ...NGINX1, command: "ping -c 50 172.17.0.3", at: 1_000_000, interruption: first.interruption },
        { ...NGINX1, command: "ip neigh", at: 60_000_000 },
      ],
    });
    if (replayed.kind !== "ok") throw new Error(replayed.message);
    const again = labEngine("bridge-two-containers", { seed: 7 });
    const a = again.run({ ...NGINX1, command: "ping -c 50 172.17.0.3", at: 1_000_000 }, first.interruption);
    expect(a.output).toBe(first.output);
    expect(a.events).toEqual(first.events);
    again.run({ ...NGINX1, command: "ip neigh", at: 60_000_000 });
    expect(replayed.engine.nextSeq).toBe(again.nextSeq);
    expect(replayed.engine.state()).toEqual(again.state());
  });

  it("output past the limit is cut at a line with a note saying how much there was", () => {
    const engine = labEngine("bridge-two-containers", { limits: { ...DEFAULT_LIMITS, outputBytes: 1024 } });
    const r = engine.run({ host: "node1", command: "ip -d link show" });
    expect(r.output.length).toBeLessThan(1024 + 200);
    expect(r.output).toMatch(/cnlab: output cut after \d+ of \d+ bytes: one command may print at most 1024 bytes\.\n$/);
  });

  it("sleep goes in steps and a stop ends it as the shell reports Ctrl-C (130)", () => {
    const engine = labEngine("bridge-two-containers");
    // Neighbour and FDB timers are pending after a ping: the sleep has timers to fire step by step.
    engine.run({ ...NGINX1, command: "ping -c 1 172.17.0.3" });
    const start = engine.now;
    const job = engine.start({ host: "node1", command: "sleep 3600" }) as CommandJob;
    job.step();
    job.step();
    expect(job.done).toBe(false);
    job.interrupt("wall-budget", 20_000);
    const r = job.result();
    expect(r.exitCode).toBe(130);
    const slept = Math.floor((r.time - 10_000 - start) / 1_000_000);
    expect(r.output).toBe(`cnlab: the command was stopped after ${slept} of 3600 seconds: it ran for the 20000 ms one command may last.\n`);
    expect(slept).toBeLessThan(3600);
  });
});
