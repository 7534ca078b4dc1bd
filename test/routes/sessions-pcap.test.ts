/**
 * GET /api/sessions/:id/pcap: the capture files are decoded here, frame by
 * frame, against the session's own trace (each frame-tx / frame-rx event is
 * one captured frame, same bytes, same time), and read with tshark (always
 * on CI; elsewhere when it is installed).
 */
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import type { App } from "../../server/app.js";
import { decodeFrame, type TraceEvent } from "../../server/engine/index.js";
import { sharedTestApp } from "../helpers/build-app.js";
import { readPcap, readPcapng, type ReadFrame } from "../helpers/capture-file.js";
import { externalTool, TOOL_TEST_TIMEOUT_MS } from "../helpers/external-tool.js";
import { tempDir } from "../helpers/temp-dir.js";
import { labSessionOn, startLabSession, type LabSession } from "../helpers/lab-session.js";

const frameEvents = (events: TraceEvent[], where: (e: TraceEvent) => boolean) => events.filter((e) => (e.kind === "frame-tx" || e.kind === "frame-rx") && where(e));

/** nginx-1 pings nginx-2 twice and fetches its page: ARP, ICMP, a TCP handshake, HTTP. */
async function pingAndCurl(app: App): Promise<{ lab: LabSession; events: TraceEvent[] }> {
  const lab = await labSessionOn(app, "bridge-two-containers");
  await lab.run("node1", "nginx-1", "ping -c 2 172.17.0.3");
  await lab.run("node1", "nginx-1", "curl -s http://172.17.0.3/");
  return { lab, events: await lab.events() };
}

function expectFramesMatch(frames: ReadFrame[], events: TraceEvent[]): void {
  expect(frames.length).toBe(events.length);
  frames.forEach((f, i) => {
    const e = events[i]!;
    expect(f.time).toBe(BigInt(e.time));
    expect(f.originalLength).toBe(e.kind === "frame-tx" || e.kind === "frame-rx" ? e.length : -1);
    expect(decodeFrame(f.bytes)).toEqual(e.layers);
  });
}

const tshark = externalTool("tshark");

/** tshark's stderr, less the notice it prints when run by root. */
function tsharkRead(file: string, ...args: string[]): { stdout: string; stderr: string } {
  const r = tshark.run(["-r", file, ...args]);
  expect(r.status, r.stderr).toBe(0);
  return { stdout: r.stdout, stderr: r.stderr.split("\n").filter((l) => l !== "" && !/^Running as user "root"/.test(l)).join("\n") };
}

describe("GET /api/sessions/:id/pcap", () => {
  // Most tests only read captures of one ping-and-curl session, made once for all of them. Its
  // owner's exports (a dozen) stay under the route's per-token limit of 20 a minute.
  const app = sharedTestApp();
  let pinged: { lab: LabSession; events: TraceEvent[] };
  beforeAll(async () => {
    pinged = await pingAndCurl(app());
  });

  it("one device: a classic pcap of nginx-1's eth0, every frame it sent or received, bytes and times as the trace saw them", async () => {
    const { lab, events } = pinged;
    const res = await lab.get(`/api/sessions/${lab.id}/pcap?host=node1&namespace=nginx-1&device=eth0`);
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toBe("application/vnd.tcpdump.pcap");
    expect(res.headers["content-disposition"]).toBe(`attachment; filename="cnlab-${lab.id}-node1-nginx-1-eth0.pcap"`);
    const file = readPcap(res.rawPayload);
    expect(file.linkType).toBe(1);
    const expected = frameEvents(events, (e) => e.host === "node1" && e.namespace === "nginx-1" && e.device === "eth0");
    expect(expected.length).toBeGreaterThan(10);
    expectFramesMatch(file.frames, expected);
    const kinds = new Set(file.frames.flatMap((f) => decodeFrame(f.bytes).map((l) => l.kind)));
    expect(kinds).toEqual(new Set(["ethernet", "arp", "ipv4", "icmp", "tcp"]));
  });

  it("a device without a namespace is the host's own (root) one; with promisc=false it holds what docker0 itself sent and received", async () => {
    const { lab, events } = pinged;
    const res = await lab.get(`/api/sessions/${lab.id}/pcap?host=node1&device=docker0&promisc=false`);
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-disposition"]).toBe(`attachment; filename="cnlab-${lab.id}-node1-root-docker0.pcap"`);
    expectFramesMatch(readPcap(res.rawPayload).frames, frameEvents(events, (e) => e.namespace === "root" && e.device === "docker0"));
  });

  it("promiscuous by default, as tcpdump -i docker0: the bridge's capture also holds the ping and HTTP it bridged between the containers", async () => {
    const { lab } = pinged;
    const layersOf = async (query: string) =>
      readPcap((await lab.get(`/api/sessions/${lab.id}/pcap?host=node1&device=docker0${query}`)).rawPayload).frames.map((f) => decodeFrame(f.bytes));
    const icmpBetweenContainers = (frames: ReturnType<typeof decodeFrame>[]) =>
      frames.filter((f) => f.some((l) => l.kind === "ipv4" && l.src.startsWith("172.17.0.") && l.dst.startsWith("172.17.0.") && l.src !== "172.17.0.1" && l.dst !== "172.17.0.1"));
    const promiscuous = await layersOf("");
    const explicit = await layersOf("&promisc=true");
    const notPromiscuous = await layersOf("&promisc=false");
    expect(explicit).toEqual(promiscuous);
    expect(icmpBetweenContainers(notPromiscuous)).toEqual([]);
    // Two echo requests and replies, and every TCP segment of the curl.
    expect(icmpBetweenContainers(promiscuous).filter((f) => f.some((l) => l.kind === "icmp"))).toHaveLength(4);
    expect(icmpBetweenContainers(promiscuous).some((f) => f.some((l) => l.kind === "tcp"))).toBe(true);
    expect((await lab.get(`/api/sessions/${lab.id}/pcap?host=node1&device=docker0&promisc=maybe`)).statusCode).toBe(400);
  });

  it("no device: a pcapng with one interface per device, named host/namespace/device, each holding that device's frames", async () => {
    const { lab, events } = pinged;
    const res = await lab.get(`/api/sessions/${lab.id}/pcap?promisc=false`);
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toBe("application/x-pcapng");
    expect(res.headers["content-disposition"]).toBe(`attachment; filename="cnlab-${lab.id}.pcapng"`);
    const file = readPcapng(res.rawPayload);
    // lo's capture holds a packet once, coming in: libpcap skips the copy going out.
    const captured = (e: TraceEvent) => !(e.kind === "frame-tx" && e.device === "lo");
    const names = file.interfaces.map((i) => i.name);
    expect(names).toEqual(expect.arrayContaining(["node1/root/lo", "node1/root/docker0", "node1/nginx-1/eth0", "node1/nginx-2/eth0"]));
    expect(names.filter((n) => n?.startsWith("node1/root/veth"))).toHaveLength(2);
    for (const itf of file.interfaces) {
      expect(itf.linkType).toBe(1);
      expect(itf.tsresol).toBe(6);
    }
    expect(file.frames.length).toBe(frameEvents(events, captured).length);
    file.interfaces.forEach((itf, i) => {
      const [host, namespace, device] = itf.name!.split("/");
      const seen = frameEvents(events, (e) => e.host === host && e.namespace === namespace && e.device === device && captured(e));
      const frames = file.frames.filter((f) => f.interface === i);
      expectFramesMatch(frames, seen);
      // Each packet's direction, in epb_flags: 1 inbound, 2 outbound.
      expect(frames.map((f) => f.flags)).toEqual(seen.map((e) => (e.kind === "frame-rx" ? 1 : 2)));
    });
    // Frames are in the order they were seen across devices.
    for (let i = 1; i < file.frames.length; i++) expect(file.frames[i]!.time >= file.frames[i - 1]!.time).toBe(true);
  });

  it("host and namespace narrow the pcapng to their devices", async () => {
    const { lab } = pinged;
    const res = await lab.get(`/api/sessions/${lab.id}/pcap?host=node1&namespace=nginx-2`);
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-disposition"]).toBe(`attachment; filename="cnlab-${lab.id}-node1-nginx-2.pcapng"`);
    expect(readPcapng(res.rawPayload).interfaces.map((i) => i.name)).toEqual(["node1/nginx-2/lo", "node1/nginx-2/eth0"]);
  });

  it("a TUN device (flannel0) is captured as tcpdump records it: LINKTYPE_RAW, bare IP packets without the simulator's Ethernet header", async () => {
    const lab = await startLabSession("flannel-udp");
    await lab.run("node1", "c1", "ping -c 1 10.244.2.2");
    const events = frameEvents(await lab.events(), (e) => e.host === "node1" && e.namespace === "root" && e.device === "flannel0");
    expect(events.length).toBeGreaterThan(1);
    const res = await lab.get(`/api/sessions/${lab.id}/pcap?host=node1&device=flannel0`);
    const file = readPcap(res.rawPayload);
    expect(file.linkType).toBe(101);
    expect(file.frames.length).toBe(events.length);
    file.frames.forEach((f, i) => {
      const e = events[i]!;
      expect(f.bytes[0]).toBe(0x45);
      expect(f.originalLength).toBe((e.kind === "frame-tx" || e.kind === "frame-rx" ? e.length : 0) - 14);
      // The same packet the trace decoded, behind its (all-zero) Ethernet header there.
      expect(decodeFrame(new Uint8Array([...new Uint8Array(12), 0x08, 0x00, ...f.bytes]))).toEqual(e.layers);
    });
    const all = readPcapng((await lab.get(`/api/sessions/${lab.id}/pcap?host=node1&namespace=root`)).rawPayload);
    const linkTypes = Object.fromEntries(all.interfaces.map((itf) => [itf.name, itf.linkType]));
    expect(linkTypes).toMatchObject({ "node1/root/flannel0": 101, "node1/root/eth0": 1, "node1/root/lo": 1 });
  });

  it("a session with no command yet gives a valid, empty capture", async () => {
    const lab = await startLabSession("bridge-two-containers");
    const res = await lab.get(`/api/sessions/${lab.id}/pcap?host=node1&device=eth0`);
    expect(res.statusCode).toBe(200);
    expect(readPcap(res.rawPayload).frames).toEqual([]);
  });

  it("an unknown device, host or namespace is 404 DEVICE_NOT_FOUND; a device without its host is 400", async () => {
    const { lab } = pinged;
    for (const query of ["host=node1&device=eth9", "host=node9", "host=node1&namespace=nginx-9"]) {
      const res = await lab.get(`/api/sessions/${lab.id}/pcap?${query}`);
      expect(res.statusCode, query).toBe(404);
      expect(res.json().error.code).toBe("DEVICE_NOT_FOUND");
    }
    const res = await lab.get(`/api/sessions/${lab.id}/pcap?device=eth0`);
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe("HOST_REQUIRED");
  });

  it("needs a token and the right to the session", async () => {
    const { lab } = pinged;
    expect((await lab.get(`/api/sessions/${lab.id}/pcap`, null)).statusCode).toBe(401);
    expect((await lab.get(`/api/sessions/${lab.id}/pcap`, await lab.otherStudentToken())).json().error.code).toBe("FORBIDDEN");
    expect((await lab.get(`/api/sessions/no-such-session/pcap`)).json().error.code).toBe("SESSION_NOT_FOUND");
  });

  it.skipIf(tshark.skip)("tshark reads both files without a warning, and names the interfaces", { timeout: TOOL_TEST_TIMEOUT_MS }, async () => {
    const { lab } = pinged;
    const dir = await tempDir();
    const one = path.join(dir, "eth0.pcap");
    const all = path.join(dir, "all.pcapng");
    await writeFile(one, (await lab.get(`/api/sessions/${lab.id}/pcap?host=node1&namespace=nginx-1&device=eth0`)).rawPayload);
    const allBody = (await lab.get(`/api/sessions/${lab.id}/pcap`)).rawPayload;
    await writeFile(all, allBody);

    for (const file of [one, all]) {
      const listed = tsharkRead(file);
      expect(listed.stderr).toBe("");
      const expert = tsharkRead(file, "-q", "-z", "expert,warn");
      expect(expert.stderr).toBe("");
      expect(expert.stdout).not.toMatch(/Errors|Warns|Malformed/);
    }
    const protocols = tsharkRead(one, "-T", "fields", "-e", "frame.protocols").stdout.trim().split("\n");
    expect(protocols).toContain("eth:ethertype:arp");
    expect(protocols).toContain("eth:ethertype:ip:icmp:data");
    expect(protocols.some((p) => p.startsWith("eth:ethertype:ip:tcp:http"))).toBe(true);
    const names = tsharkRead(all, "-T", "fields", "-e", "frame.interface_name").stdout.trim().split("\n");
    expect(names.length).toBe(readPcapng(allBody).frames.length);
    expect(new Set(names)).toContain("node1/nginx-1/eth0");
    // Wireshark reads each packet's direction from epb_flags: p2p_dir 0 sent, 1 received.
    const directions = tsharkRead(all, "-T", "fields", "-e", "frame.p2p_dir").stdout.trim().split("\n");
    expect(directions).toEqual(readPcapng(allBody).frames.map((f) => (f.flags === 1 ? "1" : "0")));
    expect(new Set(directions)).toEqual(new Set(["0", "1"]));
  });

  it.skipIf(tshark.skip)("tshark reads a TUN device's capture as raw IP", { timeout: TOOL_TEST_TIMEOUT_MS }, async () => {
    const lab = await startLabSession("flannel-udp");
    await lab.run("node1", "c1", "ping -c 1 10.244.2.2");
    const file = path.join(await tempDir(), "flannel0.pcap");
    await writeFile(file, (await lab.get(`/api/sessions/${lab.id}/pcap?host=node1&device=flannel0`)).rawPayload);
    const protocols = tsharkRead(file, "-T", "fields", "-e", "frame.protocols").stdout.trim().split("\n");
    expect(new Set(protocols)).toEqual(new Set(["raw:ip:icmp:data"]));
  });
});
