/**
 * One client's trace stream against an in-memory session and a socket whose
 * speed the test controls: replay then live with nothing missed or repeated,
 * filters, a slow client told it lagged, a gap in the live feed mended from
 * the store.
 */
import { describe, expect, it } from "vitest";
import { type TopologySpec, type TraceEvent } from "../../server/engine/index.js";
import { loadLab } from "../engine/helpers/lab-engine.js";
import {
  CLOSE_INTERNAL_ERROR,
  CLOSE_LAGGED,
  DEFAULT_TRACE_STREAM_OPTIONS,
  matchesFilter,
  TraceStream,
  type StreamSocket,
  type TraceFilter,
  type TraceStreamOptions,
} from "../../server/sessions/trace-stream.js";
import { FakeSessions } from "../helpers/fake-sessions.js";
import { ReplayBandwidth } from "../../server/sessions/replay-bandwidth.js";

type Message = { type: "events"; events: TraceEvent[] } | { type: "lagged"; lastSeq: number; message: string } | { type: "error"; error: { code: string; message: string } };

/** A socket that is fast (writes out at once) or slow (holds every byte until flush()). */
class FakeSocket implements StreamSocket {
  readyState = 1;
  bufferedAmount = 0;
  slow = false;
  readonly messages: Message[] = [];
  closed: { code: number | undefined; reason: string | undefined } | null = null;
  private pending: { bytes: number; cb: ((err?: Error) => void) | undefined }[] = [];

  send(data: Buffer, _options: { binary: false }, cb?: (err?: Error) => void): void {
    this.messages.push(JSON.parse(data.toString("utf8")) as Message);
    if (this.slow) {
      this.bufferedAmount += data.length;
      this.pending.push({ bytes: data.length, cb });
    } else {
      setImmediate(() => cb?.());
    }
  }

  flush(): void {
    this.slow = false;
    for (const p of this.pending.splice(0)) {
      this.bufferedAmount -= p.bytes;
      p.cb?.();
    }
  }

  close(code?: number, reason?: string): void {
    this.closed = { code, reason };
    this.readyState = 2;
  }

  events(): TraceEvent[] {
    return this.messages.flatMap((m) => (m.type === "events" ? m.events : []));
  }

  seqs(): number[] {
    return this.events().map((e) => e.seq);
  }
}

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

async function until(cond: () => boolean, what = "condition"): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 1));
  }
}

function setup(options: Partial<TraceStreamOptions> = {}, filter: TraceFilter = {}, fromSeq = 0, prefill = 0) {
  const sessions = new FakeSessions();
  const owner = { id: "t1", role: "student" as const, name: "Li Wei" };
  sessions.create("s1", owner, loadLab("bridge-two-containers").topology as TopologySpec);
  if (prefill > 0) sessions.publish("s1", prefill);
  const socket = new FakeSocket();
  const ends: string[] = [];
  const stream = new TraceStream(sessions.source("s1"), socket, fromSeq, filter, { ...DEFAULT_TRACE_STREAM_OPTIONS, ...options }, (reason) => ends.push(reason));
  return { sessions, socket, stream, ends };
}

describe("trace stream", () => {
  it("replays the store in pages, then streams each new batch live", async () => {
    const { sessions, socket, stream } = setup({ pageSize: 500 }, {}, 0, 1200);
    await until(() => stream.currentState === "live", "live");
    expect(socket.messages.map((m) => (m.type === "events" ? m.events.length : m.type))).toEqual([500, 500, 200]);
    sessions.publish("s1", 10);
    sessions.publish("s1", 3);
    expect(socket.seqs()).toEqual(range(0, 1213));
    expect(socket.messages).toHaveLength(5);
  });

  it("sends a caught-up client a command's chunk whole, in pages of at most pageSize, the same messages to every such client", async () => {
    const sessions = new FakeSessions();
    sessions.create("s1", { id: "t1", role: "student", name: "Li Wei" }, loadLab("bridge-two-containers").topology as TopologySpec);
    const sent: Buffer[][] = [[], []];
    const sockets = sent.map((into) => {
      const socket = new FakeSocket();
      const send = socket.send.bind(socket);
      socket.send = (data, options, cb) => {
        into.push(data);
        send(data, options, cb);
      };
      return socket;
    });
    const streams = sockets.map((socket) => new TraceStream(sessions.source("s1"), socket, 0, {}, { ...DEFAULT_TRACE_STREAM_OPTIONS, pageSize: 400 }));
    await until(() => streams.every((s) => s.currentState === "live"), "live");
    sessions.publish("s1", 1000);
    for (const socket of sockets) {
      expect(socket.seqs()).toEqual(range(0, 1000));
      expect(socket.messages.map((m) => (m.type === "events" ? m.events.length : m.type))).toEqual([400, 400, 200]);
    }
    // Built once for both clients.
    expect(sent[1]!.every((message, i) => message === sent[0]![i])).toBe(true);
  });

  it("starts from fromSeq", async () => {
    const { socket, stream } = setup({}, {}, 40, 50);
    await until(() => stream.currentState === "live");
    expect(socket.seqs()).toEqual(range(40, 50));
  });

  it("hands over from replay to live with nothing lost or repeated while commands commit during the replay", async () => {
    const { sessions, socket, stream } = setup({ pageSize: 100 }, {}, 0, 250);
    let racing = 0;
    // Every read of the store races with a commit.
    sessions.onRead = () => {
      racing++;
      queueMicrotask(() => sessions.publish("s1", 37));
    };
    sessions.readDelayMs = 2;
    await until(() => stream.currentState === "live");
    sessions.onRead = () => {};
    expect(racing).toBeGreaterThanOrEqual(3);
    sessions.publish("s1", 5);
    const total = 250 + racing * 37 + 5;
    await until(() => socket.seqs().length === total, "all events");
    expect(socket.seqs()).toEqual(range(0, total));
  });

  it("drops a late notification of events the replay already sent", async () => {
    const sessions = new FakeSessions();
    sessions.create("s1", { id: "t1", role: "student", name: "Li Wei" }, loadLab("bridge-two-containers").topology as TopologySpec);
    sessions.publish("s1", 3);
    const late = sessions.storeOnly("s1", 4); // committed, its notification still on its way
    const socket = new FakeSocket();
    const stream = new TraceStream(sessions.source("s1"), socket, 0, {});
    await until(() => stream.currentState === "live");
    expect(socket.seqs()).toEqual(range(0, 7));
    sessions.notify("s1", late);
    sessions.publish("s1", 2);
    expect(socket.seqs()).toEqual(range(0, 9));
  });

  it("mends a gap in the live feed from the store", async () => {
    const { sessions, socket, stream } = setup();
    await until(() => stream.currentState === "live");
    sessions.publish("s1", 2);
    sessions.storeOnly("s1", 3); // seq 2..4 never notified
    sessions.publish("s1", 2); // 5..6 arrive first: the stream sees the gap
    await until(() => socket.seqs().length === 7, "gap filled");
    expect(socket.seqs()).toEqual(range(0, 7));
    await until(() => stream.currentState === "live");
    sessions.publish("s1", 1);
    expect(socket.seqs()).toEqual(range(0, 8));
  });

  it("while replaying to a slow client, throws away what it queued past the limit and reads it from the store instead", async () => {
    const { sessions, socket, stream, ends } = setup({ pageSize: 50, socketHighWater: 1000, maxQueuedEvents: 40 }, {}, 0, 120);
    socket.slow = true;
    await until(() => socket.messages.length === 1, "first page");
    expect(stream.currentState).toBe("replaying");
    for (let i = 0; i < 10; i++) sessions.publish("s1", 15); // 150 events: the outbox overflows and restarts
    socket.flush();
    await until(() => stream.currentState === "live");
    await until(() => socket.seqs().length === 270, "all 270");
    expect(socket.seqs()).toEqual(range(0, 270));
    expect(ends).toEqual([]);
    expect(socket.closed).toBeNull();
  });

  it("tells a live client that cannot keep up that it lagged, with the last seq it was sent, and closes with 4008", async () => {
    const { sessions, socket, stream, ends } = setup({ pageSize: 20, socketHighWater: 2000, maxQueuedEvents: 100 });
    await until(() => stream.currentState === "live");
    socket.slow = true;
    let published = 0;
    while (socket.closed === null && published < 10_000) {
      sessions.publish("s1", 10, () => ({ summary: "x".repeat(100) }));
      published += 10;
    }
    const last = socket.messages.at(-1)!;
    expect(last.type).toBe("lagged");
    const sent = socket.seqs();
    expect(sent).toEqual(range(0, sent.length));
    expect(last.type === "lagged" && last.lastSeq).toBe(sent.length - 1);
    // The server held at most the limit: everything past it was never queued.
    expect(published - sent.length).toBeLessThanOrEqual(100 + 10);
    expect(socket.closed).toEqual({ code: CLOSE_LAGGED, reason: "lagged" });
    expect(ends).toEqual(["lagged"]);
    expect(sessions.subscriberCount("s1")).toBe(0);

    // Resuming from lastSeq + 1 gets the rest.
    const again = new FakeSocket();
    const resumed = new TraceStream(sessions.source("s1"), again, sent.length, {});
    await until(() => resumed.currentState === "live");
    expect([...sent, ...again.seqs()]).toEqual(range(0, published));
  });

  it("a live client that reads slowly but within the limit gets everything once it drains", async () => {
    const { sessions, socket, stream } = setup({ pageSize: 20, socketHighWater: 500, maxQueuedEvents: 1000 });
    await until(() => stream.currentState === "live");
    socket.slow = true;
    for (let i = 0; i < 30; i++) sessions.publish("s1", 10);
    expect(socket.seqs().length).toBeLessThan(300);
    for (let i = 0; i < 100 && socket.seqs().length < 300; i++) {
      socket.flush();
      socket.slow = true;
      await new Promise((r) => setImmediate(r));
    }
    expect(socket.seqs()).toEqual(range(0, 300));
    expect(socket.closed).toBeNull();
  });

  it("sends only what the filter keeps, and reports lastSeq past the events it skipped", async () => {
    const { sessions, socket, stream } = setup({ maxQueuedEvents: 1 }, { kinds: ["bridge-flood", "arp-reply"] });
    sessions.run("s1", "node1", "nginx-1", "ping -c 1 172.17.0.3");
    await until(() => stream.currentState === "live");
    const all = sessions.run("s1", "node1", "nginx-1", "ping -c 1 172.17.0.3");
    expect(all.length).toBeGreaterThan(10);
    expect(socket.events().length).toBeGreaterThan(0);
    expect(new Set(socket.events().map((e) => e.kind))).toEqual(new Set(["bridge-flood", "arp-reply"]));
    expect(stream.lastSeq).toBe(all.at(-1)!.seq);
  });

  it("stops when asked, and unsubscribes", async () => {
    const { sessions, stream, ends } = setup();
    await until(() => stream.currentState === "live");
    stream.stop();
    expect(sessions.subscriberCount("s1")).toBe(0);
    expect(ends).toEqual(["stopped"]);
  });

  it("says so and closes with 1011 when the store cannot be read", async () => {
    const socket = new FakeSocket();
    const ends: string[] = [];
    new TraceStream({ eventsSince: async () => Promise.reject(new Error("disk on fire")), subscribe: () => () => {} }, socket, 0, {}, DEFAULT_TRACE_STREAM_OPTIONS, (r) => ends.push(r));
    await until(() => socket.closed !== null);
    expect(socket.messages).toEqual([{ type: "error", error: { code: "TRACE_UNAVAILABLE", message: "The session's trace could not be read" } }]);
    expect(socket.closed?.code).toBe(CLOSE_INTERNAL_ERROR);
    expect(ends).toEqual(["error"]);
  });
});

describe("trace filter", () => {
  const sessions = new FakeSessions();
  sessions.create("f", { id: "t", role: "student", name: "t" }, loadLab("bridge-two-containers").topology as TopologySpec);
  const events = sessions.run("f", "node1", "nginx-1", "ping -c 1 172.17.0.3");

  it("an empty filter keeps everything", () => {
    expect(events.filter(matchesFilter({})).length).toBe(events.length);
    expect(events.filter(matchesFilter({ kinds: [] })).length).toBe(events.length);
  });

  it("nginx-1 pings nginx-2: the ARP filter sees the request and the reply on every device, and nothing else", () => {
    const arp = events.filter(matchesFilter({ protocols: ["arp"] }));
    expect(arp.length).toBeGreaterThan(4);
    for (const e of arp) expect(e.layers?.map((l) => l.kind)).toContain("arp");
    expect(events.filter(matchesFilter({ protocols: ["icmp"] })).every((e) => e.layers?.some((l) => l.kind === "icmp"))).toBe(true);
  });

  it("lists combine with AND; values in a list with OR", () => {
    const f = matchesFilter({ namespaces: ["root"], kinds: ["frame-rx", "frame-tx"], devices: ["docker0"] });
    const kept = events.filter(f);
    expect(kept.length).toBeGreaterThan(0);
    for (const e of kept) {
      expect(e.namespace).toBe("root");
      expect(e.device).toBe("docker0");
      expect(["frame-rx", "frame-tx"]).toContain(e.kind);
    }
    expect(events.filter(matchesFilter({ hosts: ["node2"] }))).toEqual([]);
  });

  it("paces a token's replay and cuts off its live stream past its bandwidth; resuming from lastSeq + 1 loses nothing", async () => {
    const sessions = new FakeSessions();
    sessions.create("s1", { id: "t1", role: "student" as const, name: "Li Wei" }, loadLab("bridge-two-containers").topology as TopologySpec);
    sessions.publish("s1", 300);
    let now = 0;
    // A bucket of 10 kB a second on a fake clock: the replay's pages wait for it, and their waits end
    // when that clock (not the machine's) has moved on, however slow the machine running the test.
    const fakeSleep = async (ms: number): Promise<void> => {
      const until = now + ms;
      while (now < until) await new Promise((resolve) => setTimeout(resolve, 2));
    };
    const bandwidth = new ReplayBandwidth(10_000, () => now, fakeSleep);
    const socket = new FakeSocket();
    const ends: string[] = [];
    const stream = new TraceStream(sessions.source("s1"), socket, 0, {}, { ...DEFAULT_TRACE_STREAM_OPTIONS, pageSize: 50 }, (r) => ends.push(r), bandwidth.pacer("t1"));
    await until(() => socket.seqs().length >= 50, "the first page");
    // Pages over the bucket wait (a page of 50 events is well over 10 kB here); the clock moving lets them on.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(socket.seqs().length).toBeLessThan(300);
    for (let i = 0; i < 100 && stream.currentState !== "live"; i++) {
      now += 10_000;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(stream.currentState).toBe("live");
    expect(socket.seqs()).toEqual(range(0, 300));

    // Live: a batch worth far more than three seconds of the bucket cuts the stream off as lagged.
    sessions.publish("s1", 400);
    await until(() => ends.includes("lagged"), "lagged");
    const lagged = socket.messages.at(-1)!;
    expect(lagged).toMatchObject({ type: "lagged", lastSeq: 299 });
    expect(socket.closed?.code).toBe(CLOSE_LAGGED);
    const again = new FakeSocket();
    const resumed = new TraceStream(sessions.source("s1"), again, 300, {});
    await until(() => again.seqs().length === 400, "the rest");
    expect(again.seqs()).toEqual(range(300, 700));
    resumed.stop();
  });
});
