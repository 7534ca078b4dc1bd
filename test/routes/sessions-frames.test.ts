/**
 * GET /api/sessions/:id/frames/:seq: the bytes behind an event's layers. Each
 * answer is decoded again and held to the event's own layers, and to the
 * frames a capture file of the same device holds, in the same order.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { decodeFrame, type TraceEvent } from "../../server/engine/index.js";
import { bearer, runCommand, sharedTestApp, startSession } from "../helpers/build-app.js";
import { readPcap } from "../helpers/capture-file.js";
import { labSessionOn, type LabSession } from "../helpers/lab-session.js";

const isFrameEvent = (e: TraceEvent) => e.kind === "frame-tx" || e.kind === "frame-rx";

describe("GET /api/sessions/:id/frames/:seq", () => {
  const app = sharedTestApp();
  let lab: LabSession;
  let events: TraceEvent[];
  beforeAll(async () => {
    lab = await labSessionOn(app(), "bridge-two-containers");
    await lab.run("node1", "nginx-1", "ip route");
    await lab.run("node1", "nginx-1", "ping -c 2 172.17.0.3");
    await lab.run("node1", "nginx-1", "curl -s http://172.17.0.3/");
    events = await lab.events();
  });

  it("nginx-1 pings and fetches from nginx-2: every event about a frame gets bytes that decode to its own layers", async () => {
    const withFrame = events.filter((e) => e.layers !== null);
    expect(withFrame.length).toBeGreaterThan(40);
    const kinds = new Set<string>();
    for (const e of withFrame) {
      const res = await lab.get(`/api/sessions/${lab.id}/frames/${e.seq}`);
      expect(res.statusCode, `event ${e.seq} ${e.kind}`).toBe(200);
      expect(res.headers["content-type"]).toBe("application/octet-stream");
      expect(res.headers["x-link-type"]).toBe("ethernet");
      expect(decodeFrame(res.rawPayload), `event ${e.seq} ${e.kind}`).toEqual(e.layers);
      if (isFrameEvent(e)) expect(res.rawPayload.length).toBe(e.length);
      kinds.add(e.kind);
    }
    // Not only the devices' own frame events: the bridge's decisions about a frame point at it too.
    expect(kinds).toContain("bridge-flood");
    expect(kinds).toContain("frame-tx");
  });

  it("the bytes are the ones a capture of the device holds, frame for frame", async () => {
    // Not promiscuous: the frames docker0 itself sent and received, one per frame event on it.
    const capture = readPcap((await lab.get(`/api/sessions/${lab.id}/pcap?host=node1&device=docker0&promisc=false`)).rawPayload);
    const onDocker0 = events.filter((e) => isFrameEvent(e) && e.namespace === "root" && e.device === "docker0");
    expect(onDocker0.length).toBe(capture.frames.length);
    for (const [i, e] of onDocker0.entries()) {
      const res = await lab.get(`/api/sessions/${lab.id}/frames/${e.seq}`);
      expect(Buffer.compare(res.rawPayload, Buffer.from(capture.frames[i]!.bytes))).toBe(0);
    }
  });

  it("an event about no frame is 404 NO_FRAME; a seq not recorded yet is 404 EVENT_NOT_FOUND; a bad seq is 400", async () => {
    const lookup = events.find((e) => e.kind === "route-lookup")!;
    expect(lookup.layers).toBeNull();
    const none = await lab.get(`/api/sessions/${lab.id}/frames/${lookup.seq}`);
    expect(none.statusCode).toBe(404);
    expect(none.json().error.code).toBe("NO_FRAME");
    const ahead = await lab.get(`/api/sessions/${lab.id}/frames/${events.length}`);
    expect(ahead.statusCode).toBe(404);
    expect(ahead.json().error.code).toBe("EVENT_NOT_FOUND");
    const bad = await lab.get(`/api/sessions/${lab.id}/frames/minus-one`);
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBeTypeOf("string");
  });

  it("another student may not read the frames; an unknown session is 404", async () => {
    const seq = events.find(isFrameEvent)!.seq;
    expect((await lab.get(`/api/sessions/${lab.id}/frames/${seq}`, await lab.otherStudentToken())).json().error.code).toBe("FORBIDDEN");
    expect((await lab.get(`/api/sessions/${lab.id}/frames/${seq}`, null)).statusCode).toBe(401);
    expect((await lab.get(`/api/sessions/no-such-session/frames/${seq}`)).json().error.code).toBe("SESSION_NOT_FOUND");
  });

  it("a TUN device carries bare IP packets: flannel0's frames come without an Ethernet header, as its capture has them", async () => {
    // The same student's second session, of another lab.
    const flannel = await startSession(app(), lab.token, "flannel-udp");
    await runCommand(app(), lab.token, flannel, "node1", "ping -c 1 10.244.2.2", "c1");
    const all = (await app().inject({ method: "GET", url: `/api/sessions/${flannel}/events?limit=1000`, headers: bearer(lab.token) })).json<{ events: TraceEvent[] }>().events;
    const onTun = all.filter((e) => isFrameEvent(e) && e.host === "node1" && e.device === "flannel0");
    expect(onTun.length).toBeGreaterThan(0);
    const capture = readPcap((await lab.get(`/api/sessions/${flannel}/pcap?host=node1&device=flannel0`)).rawPayload);
    expect(capture.linkType).toBe(101);
    expect(capture.frames.length).toBe(onTun.length);
    for (const [i, e] of onTun.entries()) {
      const res = await lab.get(`/api/sessions/${flannel}/frames/${e.seq}`);
      expect(res.headers["x-link-type"]).toBe("raw");
      expect(res.rawPayload[0]! >> 4).toBe(4);
      expect(Buffer.compare(res.rawPayload, Buffer.from(capture.frames[i]!.bytes))).toBe(0);
    }
  });
});
