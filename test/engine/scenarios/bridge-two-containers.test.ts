/**
 * The chapter's 32.01, event by event: nginx-1 pings nginx-2 across docker0.
 */
import { describe, expect, it } from "vitest";
import type { TraceEvent } from "../../../server/engine/trace/trace-event.js";
import { labEngine } from "../helpers/lab-engine.js";

const of = <K extends TraceEvent["kind"]>(events: TraceEvent[], kind: K) => events.filter((e): e is Extract<TraceEvent, { kind: K }> => e.kind === kind);

describe("bridge-two-containers: nginx-1 pings nginx-2", () => {
  const engine = labEngine("bridge-two-containers");
  const r = engine.run({ host: "node1", namespace: "nginx-1", command: "ping -c 1 172.17.0.3" });

  it("succeeds with one reply", () => {
    expect(r.exitCode).toBe(0);
    expect(r.output).toMatch(/^PING 172\.17\.0\.3 \(172\.17\.0\.3\) 56\(84\) bytes of data\.\n64 bytes from 172\.17\.0\.3: icmp_seq=1 ttl=64 time=\d\.\d{3} ms\n/);
    expect(r.output).toContain("1 packets transmitted, 1 received, 0% packet loss");
  });

  it("nginx-1 routes 172.17.0.3 on the connected /16, without a gateway", () => {
    const lookup = of(r.events, "route-lookup")[0]!;
    expect(lookup.namespace).toBe("nginx-1");
    expect(lookup.route).toBe("172.17.0.0/16 dev eth0 proto kernel scope link src 172.17.0.2");
    expect(lookup.nextHop).toBe("172.17.0.3");
  });

  it("docker0 floods the ARP request to vethb4963f3 only, and hands a copy to the host", () => {
    const req = of(r.events, "arp-request")[0]!;
    expect(req).toMatchObject({ namespace: "nginx-1", device: "eth0", targetIp: "172.17.0.3", senderIp: "172.17.0.2", unicast: false });
    const flood = of(r.events, "bridge-flood")[0]!;
    expect(flood).toMatchObject({ bridge: "docker0", ingress: "veth9c02e56", egress: ["vethb4963f3"] });
    expect(flood.packetId).toBe(req.packetId);
    expect(r.events.some((e) => e.kind === "bridge-local" && e.packetId === req.packetId)).toBe(true);
    // The host's stack sees a request for an address that is not its own and ignores it.
    expect(r.events.some((e) => e.kind === "drop" && e.namespace === "root" && e.reason === "not-for-host" && e.packetId === req.packetId)).toBe(true);
  });

  it("nginx-2 answers the ARP request, and both MACs are learnt on the right ports", () => {
    const reply = of(r.events, "arp-reply")[0]!;
    expect(reply).toMatchObject({ namespace: "nginx-2", senderIp: "172.17.0.3", senderMac: "02:42:ac:11:00:03", targetMac: "02:42:ac:11:00:02" });
    const learnt = of(r.events, "bridge-learn").map((e) => [e.mac, e.port]);
    expect(learnt).toEqual([
      ["02:42:ac:11:00:02", "veth9c02e56"],
      ["02:42:ac:11:00:03", "vethb4963f3"],
    ]);
  });

  it("the echo request is forwarded to one port, and the reply comes back the same way", () => {
    const forwards = of(r.events, "bridge-forward");
    // ARP reply, echo request, echo reply: each to exactly one port.
    expect(forwards.map((f) => `${f.ingress}>${f.egress}`)).toEqual(["vethb4963f3>veth9c02e56", "veth9c02e56>vethb4963f3", "vethb4963f3>veth9c02e56"]);
    const floods = of(r.events, "bridge-flood");
    expect(floods).toHaveLength(1);
    const echo = of(r.events, "icmp-echo")[0]!;
    expect(echo).toMatchObject({ namespace: "nginx-2", sequence: 1, to: "172.17.0.2" });
    const delivered = of(r.events, "socket-deliver").at(-1)!;
    expect(delivered).toMatchObject({ namespace: "nginx-1", protocol: "icmp", process: "ping" });
  });

  it("events are dense, ordered, and carry decoded layers for frames", () => {
    r.events.forEach((e, i) => expect(e.seq).toBe(r.events[0]!.seq + i));
    for (let i = 1; i < r.events.length; i++) expect(r.events[i]!.time).toBeGreaterThanOrEqual(r.events[i - 1]!.time);
    for (const e of r.events.filter((e) => e.kind === "frame-tx" || e.kind === "frame-rx")) {
      expect(e.layers).not.toBeNull();
      expect(e.summary.length).toBeGreaterThan(0);
    }
  });

  it("afterwards docker0's FDB holds both MACs on their ports, and nginx-1 has nginx-2 REACHABLE", () => {
    const host = engine.state().hosts[0]!;
    const fdb = host.namespaces.find((n) => n.name === "root")!.bridges[0]!.fdb.filter((e) => !e.local);
    expect(fdb.map((e) => [e.mac, e.port])).toEqual([
      ["02:42:ac:11:00:02", "veth9c02e56"],
      ["02:42:ac:11:00:03", "vethb4963f3"],
    ]);
    expect(host.namespaces.find((n) => n.name === "nginx-1")!.neighbours).toEqual([{ ip: "172.17.0.3", dev: "eth0", mac: "02:42:ac:11:00:03", state: "REACHABLE" }]);
    // The bridge only switched: the host's own neighbour table stays empty.
    expect(host.namespaces.find((n) => n.name === "root")!.neighbours).toEqual([]);
  });
});

describe("host-to-container: the host pings nginx-1 through docker0", () => {
  it("routes via docker0, resolves 172.17.0.2 on docker0 and the bridge forwards to nginx-1's port", () => {
    const engine = labEngine("host-to-container");
    const r = engine.run({ host: "node1", command: "ping -c 2 172.17.0.2" });
    expect(r.exitCode).toBe(0);
    const lookup = r.events.find((e) => e.kind === "route-lookup")!;
    expect(lookup).toMatchObject({ namespace: "root", outDevice: "docker0" });
    const req = r.events.find((e) => e.kind === "arp-request")!;
    expect(req).toMatchObject({ namespace: "root", device: "docker0", senderIp: "172.17.0.1" });
    // No ingress port: the host's own frame leaves through the bridge device.
    expect(r.events.find((e) => e.kind === "bridge-flood")).toMatchObject({ ingress: "docker0" });
    expect(r.events.filter((e) => e.kind === "bridge-forward").every((e) => e.kind === "bridge-forward" && (e.egress === "veth9c02e56" || e.ingress === "veth9c02e56"))).toBe(true);
  });
});

describe("host-network: port conflicts under --net=host", () => {
  it("a second nginx on the host's namespace cannot bind port 80; two bridge containers both can", () => {
    const engine = labEngine("host-network");
    const second = engine.run({ host: "node1", command: "docker run -d --net=host --name web-2 nginx" });
    expect(second.exitCode).toBe(0); // docker run -d returns once the container started…
    const ps = engine.run({ host: "node1", command: "docker ps -a" });
    expect(ps.output).toMatch(/Exited \(1\).*web-2/);
    const logs = engine.run({ host: "node1", command: "docker logs web-2" });
    expect(logs.output).toBe("nginx: [emerg] bind() to 0.0.0.0:80 failed (98: Address already in use)\n");
    expect(engine.run({ host: "node1", command: "docker run -d --name a nginx" }).exitCode).toBe(0);
    expect(engine.run({ host: "node1", command: "docker run -d --name b nginx" }).exitCode).toBe(0);
    const state = engine.state().hosts[0]!;
    for (const n of ["a", "b"]) {
      const ns = state.namespaces.find((x) => x.name === n)!;
      expect(ns.sockets).toContainEqual(expect.objectContaining({ proto: "tcp", state: "LISTEN", local: "0.0.0.0:80" }));
    }
  });
});
