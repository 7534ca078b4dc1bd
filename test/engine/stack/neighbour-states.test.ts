/** The NUD state machine as the kernel runs it, in virtual time. */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { labEngine } from "../helpers/lab-engine.js";
import { frameRecorder, headerLines, linuxCapture } from "../helpers/linux-capture.js";

const neigh = (engine: ReturnType<typeof labEngine>, ns: string) =>
  JSON.stringify(engine.state().hosts[0]!.namespaces.find((n) => n.name === ns)!.neighbours);

describe("neighbour states", () => {
  it("REACHABLE → STALE after 30 s, → DELAY when used, → PROBE → REACHABLE on a unicast reply", () => {
    const engine = labEngine("bridge-two-containers");
    engine.run({ host: "node1", namespace: "nginx-1", command: "ping -c 1 172.17.0.3" });
    expect(neigh(engine, "nginx-1")).toContain("REACHABLE");
    const stale = engine.run({ host: "node1", command: "sleep 31" });
    expect(stale.events.some((e) => e.kind === "neigh-state" && e.namespace === "nginx-1" && e.to === "STALE")).toBe(true);
    expect(neigh(engine, "nginx-1")).toContain("STALE");
    const r = engine.run({ host: "node1", namespace: "nginx-1", command: "ping -c 7 172.17.0.3" });
    const path = r.events.filter((e) => e.kind === "neigh-state" && e.namespace === "nginx-1").map((e) => (e.kind === "neigh-state" ? e.to : ""));
    expect(path).toEqual(["DELAY", "PROBE", "REACHABLE"]);
    expect(r.events.some((e) => e.kind === "arp-request" && e.unicast)).toBe(true);
  });

  it("an unanswered address goes INCOMPLETE then FAILED after three requests, and ping reports Destination Host Unreachable", () => {
    const engine = labEngine("bridge-two-containers");
    const r = engine.run({ host: "node1", namespace: "nginx-1", command: "ping -c 5 172.17.0.99" });
    expect(r.events.filter((e) => e.kind === "arp-request").length).toBeGreaterThanOrEqual(3);
    expect(r.events.some((e) => e.kind === "neigh-state" && e.to === "FAILED")).toBe(true);
    expect(r.events.some((e) => e.kind === "drop" && e.reason === "arp-failed")).toBe(true);
    expect(r.output).toContain("From 172.17.0.2 icmp_seq=1 Destination Host Unreachable");
    expect(r.output).toContain("5 packets transmitted, 0 received, +5 errors, 100% packet loss");
    expect(r.exitCode).toBe(1);
  });
});

describe("DELAY confirmed by TCP (test/fixtures/linux/neigh-delay-confirmed-by-tcp.txt)", () => {
  it("a STALE entry used by curl shows DELAY at 1 s and 4.5 s, then REACHABLE at 6 s after the delay timer, with no ARP probe", () => {
    const linux = readFileSync("test/fixtures/linux/neigh-delay-confirmed-by-tcp.txt", "utf8").split("\n");
    const at = (label: string) => linux[linux.indexOf(label) + 1];
    const engine = labEngine("bridge-two-containers");
    const inNginx1 = (command: string) => engine.run({ host: "node1", namespace: "nginx-1", command });
    inNginx1("ip neigh replace 172.17.0.3 dev eth0 lladdr 02:42:ac:11:00:03 nud stale");
    expect(inNginx1("ip neigh show 172.17.0.3").output).toBe(`${linux[0]}\n`);
    const events = [...inNginx1("curl -s http://172.17.0.3/").events];
    events.push(...inNginx1("sleep 1").events);
    expect(inNginx1("ip neigh show 172.17.0.3").output).toBe(`${at("after 1 s:")}\n`);
    events.push(...inNginx1("sleep 3").events, ...inNginx1("curl -s http://172.17.0.3/").events, ...inNginx1("sleep 0.5").events);
    expect(inNginx1("ip neigh show 172.17.0.3").output).toBe(`${at("after 4.5 s:")}\n`);
    events.push(...inNginx1("sleep 1.5").events);
    expect(inNginx1("ip neigh show 172.17.0.3").output).toBe(`${at("after 6 s:")}\n`);
    const path = events.filter((e) => e.kind === "neigh-state" && e.namespace === "nginx-1").map((e) => (e.kind === "neigh-state" ? e.to : ""));
    expect(path).toEqual(["DELAY", "REACHABLE"]);
    expect(events.filter((e) => e.kind === "arp-request" && e.namespace === "nginx-1")).toEqual([]);
  });
});

describe("neighUpdate: ip neigh and arp -s change the table as neigh_update does", () => {
  it("ip neigh replace … lladdr while ARP is unanswered sends the queued echo request at once (capture-neigh-replace-nginx-1-eth0.pcap)", () => {
    const linux = headerLines(linuxCapture("capture-neigh-replace-nginx-1-eth0"));
    expect(linux).toEqual([
      "02:42:ac:11:00:02 > ff:ff:ff:ff:ff:ff | arp request 172.17.0.2 > 172.17.0.50",
      "02:42:ac:11:00:02 > 02:42:ac:11:00:32 | ip 172.17.0.2 > 172.17.0.50 tos 0x0 ttl 64 DF len 84 | icmp echo-request len 64",
    ]);
    const rec = frameRecorder();
    const engine = labEngine("bridge-two-containers", { capture: rec.capture });
    const inNginx1 = (command: string) => engine.run({ host: "node1", namespace: "nginx-1", command });
    // ping gives up after 0.5 s; its echo request stays queued on the INCOMPLETE entry, as in the kernel.
    inNginx1("ping -c 1 -W 0.5 172.17.0.50");
    const r = inNginx1("ip neigh replace 172.17.0.50 lladdr 02:42:ac:11:00:32 dev eth0");
    expect(r.events.filter((e) => e.kind === "neigh-state").map((e) => (e.kind === "neigh-state" ? `${e.from} → ${e.to}` : ""))).toEqual(["INCOMPLETE → PERMANENT"]);
    expect(r.events.some((e) => e.kind === "frame-tx" && e.namespace === "nginx-1" && e.summary.includes("ICMP echo request"))).toBe(true);
    expect(inNginx1("ip neigh show 172.17.0.50").output).toBe("172.17.0.50 dev eth0 lladdr 02:42:ac:11:00:32 PERMANENT \n");
    expect(headerLines(rec.frames("nginx-1/eth0"))).toEqual(linux);
  });

  it("arp -s does the same (arp_req_set → neigh_update); ip neigh del drops what the entry held", () => {
    const engine = labEngine("bridge-two-containers");
    const inNginx1 = (command: string) => engine.run({ host: "node1", namespace: "nginx-1", command });
    inNginx1("ping -c 1 -W 0.5 172.17.0.50");
    const set = inNginx1("arp -s 172.17.0.50 02:42:ac:11:00:32");
    expect(set.events.some((e) => e.kind === "neigh-state" && e.to === "PERMANENT")).toBe(true);
    expect(set.events.some((e) => e.kind === "frame-tx" && e.summary.includes("ICMP echo request"))).toBe(true);
    inNginx1("ping -c 1 -W 0.5 172.17.0.51");
    const del = inNginx1("ip neigh del 172.17.0.51 dev eth0");
    expect(del.events.filter((e) => e.kind === "drop").map((e) => (e.kind === "drop" ? e.reason : ""))).toEqual(["arp-failed"]);
    // Nothing is left queued: the ARP timer finds no entry and sends no ICMP later.
    expect(inNginx1("sleep 5").events.filter((e) => e.kind === "icmp-error" || e.kind === "arp-request")).toEqual([]);
  });
});
