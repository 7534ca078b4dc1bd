/**
 * br_netfilter: on a Docker host (net.bridge.bridge-nf-call-iptables = 1) a
 * frame bridged between two containers passes iptables, with the bridge as in
 * and out interface, and conntrack tracks the flow. Checked against the same
 * rules on a bridge in Linux namespaces (test/fixtures/linux/br-netfilter-*),
 * as is the order of its hooks: fragments joined, PREROUTING's NAT done, and
 * a DNAT routed, before the bridge decides.
 */
import { describe, expect, it } from "vitest";
import type { Ipv4Payload } from "../../server/engine/link/payload.js";
import { buildNetwork } from "../../server/engine/topology/build-network.js";
import type { TopologySpec } from "../../server/engine/topology/topology-schema.js";
import { labEngine, loadLab } from "./helpers/lab-engine.js";
import { linuxFixture } from "./helpers/linux-fixtures.js";

function dockerHost() {
  const engine = labEngine("bridge-two-containers");
  const root = (command: string) => engine.run({ host: "node1", command });
  const nginx1 = (command: string) => engine.run({ host: "node1", namespace: "nginx-1", command });
  return { engine, root, nginx1 };
}

/** The rules of the Linux experiment in place of Docker's FORWARD chain (its policy is DROP already). */
function linuxRules(root: (command: string) => { exitCode: number }): void {
  for (const c of ["iptables -F FORWARD", "iptables -A FORWARD -o docker0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT", "iptables -A FORWARD -i docker0 -o docker0 -j ACCEPT"]) {
    expect(root(c).exitCode).toBe(0);
  }
}

const sortedLines = (text: string) => text.replace(/id=\d+/g, "id=N").split("\n").filter((l) => l !== "").sort();

describe("br_netfilter", () => {
  it("a Docker host has bridge-nf-call-iptables on, as the daemon sets it", () => {
    const f = linuxFixture("br-netfilter-sysctl");
    const r = dockerHost().root("sysctl net.bridge.bridge-nf-call-iptables");
    expect([r.output, r.exitCode]).toEqual([f.text, f.exit]);
  });

  it("container-to-container frames pass FORWARD with docker0 in and out, counted as in Linux, and conntrack tracks the flow", () => {
    const { root, nginx1 } = dockerHost();
    linuxRules(root);
    const ping = nginx1("ping -c 2 172.17.0.3");
    expect(ping.exitCode).toBe(0);
    const hits = ping.events.filter((e) => e.kind === "netfilter").map((e) => (e.kind === "netfilter" ? `${e.device} ${e.rule}` : ""));
    expect(hits).toEqual([
      "docker0 -A FORWARD -i docker0 -o docker0 -j ACCEPT",
      "docker0 -A FORWARD -o docker0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT",
      "docker0 -A FORWARD -o docker0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT",
      "docker0 -A FORWARD -o docker0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT",
    ]);
    expect(ping.events.filter((e) => e.kind === "conntrack")).toHaveLength(1);
    // The bridge decides, FORWARD accepts, conntrack confirms the new flow at POSTROUTING, then the egress port sends.
    const firstEcho = ping.events.filter((e) => e.packetId === ping.events.find((x) => x.kind === "conntrack")!.packetId && e.namespace === "root");
    expect(firstEcho.map((e) => e.kind)).toEqual(["frame-rx", "bridge-forward", "netfilter", "conntrack", "frame-tx"]);

    const listed = root("iptables -L FORWARD -v -n");
    expect(listed.output).toBe(linuxFixture("br-netfilter-iptables-L-FORWARD-v-n-after-ping").text);
    expect(sortedLines(root("conntrack -L -p icmp").output)).toEqual(sortedLines(linuxFixture("br-netfilter-conntrack-L-p-icmp-after-ping").text));
  });

  it("without an ACCEPT for docker0 to docker0, the FORWARD policy drops what one container sends another", () => {
    const { root, nginx1 } = dockerHost();
    expect(root("iptables -F FORWARD").exitCode).toBe(0);
    const ping = nginx1("ping -c 1 -W 1 172.17.0.3");
    expect(ping.output).toContain("1 packets transmitted, 0 received, 100% packet loss");
    expect(ping.events.find((e) => e.kind === "netfilter")).toMatchObject({ device: "docker0", rule: "policy DROP" });
    expect(ping.events.find((e) => e.kind === "drop" && e.reason === "netfilter")).toMatchObject({ namespace: "root", device: "docker0" });
  });

  it("turning bridge-nf-call-iptables off takes bridged frames out of iptables", () => {
    const { root, nginx1 } = dockerHost();
    expect(root("sysctl -w net.bridge.bridge-nf-call-iptables=0").output).toBe("net.bridge.bridge-nf-call-iptables = 0\n");
    expect(root("iptables -F FORWARD").exitCode).toBe(0);
    const ping = nginx1("ping -c 1 172.17.0.3");
    expect(ping.exitCode).toBe(0);
    expect(ping.events.some((e) => e.kind === "netfilter" || e.kind === "conntrack")).toBe(false);
  });
});

/** What differs between two runs of the same exchange: the time of day, IP and ICMP ids, round-trip times. */
const masked = (text: string) =>
  text
    .replace(/^\d\d:\d\d:\d\d\.\d{6} /gm, "T ")
    .replace(/\bid \d+/g, "id N")
    .replace(/time=[\d.]+ ms/g, "time=X ms")
    .replace(/= [\d.]+\/[\d.]+\/[\d.]+\/[\d.]+ ms/, "= X ms");

/** The command's output as the Linux fixture holds it. */
function sameAsLinux(r: { output: string; exitCode: number }, fixture: string): void {
  const real = linuxFixture(fixture);
  expect(masked(r.output)).toBe(masked(real.text));
  expect(r.exitCode).toBe(real.exit);
}

describe("br_netfilter at the bridge's entry, before the bridge decides", () => {
  it("joins bridged fragments for conntrack: docker0 shows one 2028-byte datagram each way, FORWARD counts it once, the egress port gets the fragments again", () => {
    const { root, nginx1 } = dockerHost();
    linuxRules(root);
    expect(nginx1("ping -c 1 172.17.0.3").exitCode).toBe(0);
    const ping = nginx1("ping -c 1 -s 2000 172.17.0.3");
    expect(ping.exitCode).toBe(0);
    sameAsLinux(root("tcpdump -i docker0 -n -v icmp"), "br-netfilter-tcpdump-docker0-n-v-icmp-ping-s-2000");
    sameAsLinux(root("tcpdump -i vethb4963f3 -n -v icmp"), "br-netfilter-tcpdump-vethb4963f3-n-v-icmp-ping-s-2000");
    sameAsLinux(root("iptables -L FORWARD -v -n"), "br-netfilter-iptables-L-FORWARD-v-n-after-ping-s-2000");
    // On the host: the second fragment completes the datagram on docker0, the bridge forwards it, FORWARD
    // accepts it, conntrack confirms the flow, and the port sends it in the two pieces it came in.
    const request = ping.events.filter((e) => e.namespace === "root" && e.packetId === ping.events.find((x) => x.kind === "conntrack")!.packetId);
    expect(request.map((e) => `${e.kind} ${e.device}`)).toEqual([
      "frame-rx veth9c02e56",
      "frame-rx veth9c02e56",
      "ip-reassemble docker0",
      "bridge-forward docker0",
      "netfilter docker0",
      "conntrack null",
      "ip-fragment vethb4963f3",
      "frame-tx vethb4963f3",
      "frame-tx vethb4963f3",
    ]);
    expect(request.find((e) => e.kind === "ip-fragment")).toMatchObject({ mtu: 1500, length: 2028, fragments: 2 });
  });

  it("a datagram that came in fragments larger than the egress port's MTU is dropped, not cut smaller", () => {
    const { root, nginx1 } = dockerHost();
    linuxRules(root);
    expect(nginx1("ping -c 1 172.17.0.3").exitCode).toBe(0);
    expect(root("ip link set vethb4963f3 mtu 1000").exitCode).toBe(0);
    const ping = nginx1("ping -c 1 -W 1 -s 2000 172.17.0.3");
    expect(ping.exitCode).toBe(1);
    expect(ping.events.find((e) => e.kind === "drop" && e.namespace === "root")).toMatchObject({ device: "vethb4963f3", reason: "mtu-exceeded", detail: "frag_max_size 1500 > mtu 1000" });
  });

  it("DNAT to a container behind the same bridge: the frame is readdressed to its MAC and bridged, not routed (TTL kept, the sender's MAC kept)", () => {
    const { engine, root, nginx1 } = dockerHost();
    linuxRules(root);
    expect(root("iptables -t nat -A PREROUTING -d 10.96.0.100 -j DNAT --to-destination 172.17.0.3").exitCode).toBe(0);
    expect(root("ping -c 1 172.17.0.3").exitCode).toBe(0);
    expect(engine.run({ host: "node1", namespace: "nginx-2", command: "ping -c 1 172.17.0.2" }).exitCode).toBe(0);
    const ping = nginx1("ping -c 1 10.96.0.100");
    sameAsLinux(ping, "br-netfilter-dnat-ping-c-1-10-96-0-100");
    sameAsLinux(root("tcpdump -i vethb4963f3 -n -e -v icmp"), "br-netfilter-dnat-tcpdump-vethb4963f3-n-e-v-icmp");
    // PREROUTING's DNAT, then the route to the new destination (behind docker0 itself), then the bridge's decision.
    const request = ping.events.filter((e) => e.namespace === "root" && e.packetId === ping.events.find((x) => x.kind === "nat")!.packetId);
    expect(request.map((e) => e.kind)).toEqual(["frame-rx", "netfilter", "nat", "route-lookup", "bridge-forward", "netfilter", "conntrack", "frame-tx"]);
    expect(request.find((e) => e.kind === "nat")).toMatchObject({ type: "DNAT", device: "docker0", from: "10.96.0.100", to: "172.17.0.3" });
  });

  it("DNAT to a container whose neighbour entry is STALE: the frame leaves docker0 by its neighbour output (docker0's MAC, the entry to DELAY), then is bridged on with the sender's MAC, TTL kept", () => {
    const { engine, root, nginx1 } = dockerHost();
    linuxRules(root);
    expect(root("iptables -t nat -A PREROUTING -d 10.96.0.100 -j DNAT --to-destination 172.17.0.3").exitCode).toBe(0);
    expect(nginx1("ping -c 1 172.17.0.3").exitCode).toBe(0);
    expect(nginx1("ping -c 1 172.17.0.1").exitCode).toBe(0);
    expect(engine.run({ host: "node1", namespace: "nginx-2", command: "ping -c 1 172.17.0.2" }).exitCode).toBe(0);
    expect(root("ip neigh replace 172.17.0.3 lladdr 02:42:ac:11:00:03 dev docker0 nud stale").exitCode).toBe(0);
    const ping = nginx1("ping -c 1 10.96.0.100");
    sameAsLinux(ping, "br-netfilter-dnat-stale-ping-c-1-10-96-0-100");
    sameAsLinux(root("tcpdump -p -i docker0 -n -e -v icmp"), "br-netfilter-dnat-stale-tcpdump-p-docker0-n-e-v-icmp");
    sameAsLinux(root("tcpdump -i vethb4963f3 -n -e -v icmp"), "br-netfilter-dnat-stale-tcpdump-vethb4963f3-n-e-v-icmp");
    const neighbour = (text: string) => text.split("\n").find((l) => l.startsWith("172.17.0.3 "));
    expect(neighbour(root("ip neigh show dev docker0").output)).toBe(neighbour(linuxFixture("br-netfilter-dnat-stale-ip-neigh-show-dev-docker0").text));
    const request = ping.events.filter((e) => e.namespace === "root" && e.packetId === ping.events.find((x) => x.kind === "nat")!.packetId);
    expect(request.map((e) => `${e.kind} ${e.device}`)).toEqual([
      "frame-rx veth9c02e56",
      "netfilter docker0",
      "nat docker0",
      "route-lookup docker0",
      "frame-tx docker0",
      "bridge-forward docker0",
      "netfilter docker0",
      "conntrack null",
      "frame-tx vethb4963f3",
    ]);
    expect(ping.events.find((e) => e.kind === "neigh-state" && e.device === "docker0")).toMatchObject({ ip: "172.17.0.3", from: "STALE", to: "DELAY" });
  });

  it("the reply to a masqueraded client is un-SNATed as it enters docker0: tcpdump there shows it addressed to the client, then it is routed out", () => {
    const engine = labEngine("container-to-other-host");
    const root = (command: string) => engine.run({ host: "node1", command });
    for (const c of ["iptables -I FORWARD -p icmp -j ACCEPT", "iptables -t nat -A PREROUTING -i eth0 -p icmp -j DNAT --to-destination 172.17.0.2", "iptables -t nat -A POSTROUTING -o docker0 -j MASQUERADE"]) {
      expect(root(c).exitCode).toBe(0);
    }
    const node2 = (command: string) => engine.run({ host: "node2", command });
    expect(node2("ping -c 1 10.168.0.2").exitCode).toBe(0);
    const ping = node2("ping -c 1 10.168.0.2");
    sameAsLinux(ping, "br-netfilter-unsnat-ping-c-1-10-168-0-2");
    sameAsLinux(root("tcpdump -i docker0 -n -v icmp"), "br-netfilter-unsnat-tcpdump-docker0-n-v-icmp");
    // Entering docker0: un-SNAT back to the client, a route out of eth0, so up to the stack, which skips PREROUTING
    // and keeps that route: FORWARD (-p icmp), then POSTROUTING's un-DNAT of the source.
    const reply = ping.events.filter((e) => e.host === "node1" && e.namespace === "root" && e.packetId === ping.events.find((x) => x.kind === "nat" && x.type === "un-SNAT")!.packetId);
    expect(reply.map((e) => `${e.kind} ${e.device}`)).toEqual([
      "frame-rx veth9c02e56",
      "nat docker0",
      "route-lookup docker0",
      "bridge-local docker0",
      "frame-rx docker0",
      "netfilter eth0",
      "ip-forward docker0",
      "nat eth0",
      "frame-tx eth0",
    ]);
  });
});

describe("br_netfilter and broadcast frames", () => {
  it("an IPv4 broadcast from a port passes conntrack and PREROUTING as it enters, and FORWARD towards the other port", () => {
    // Linux, `ping -b 172.17.255.255` from one of two containers with rules in every chain: [1:84] in nat PREROUTING,
    // filter FORWARD and INPUT, one conntrack entry.
    const topology = loadLab("bridge-two-containers").topology as TopologySpec;
    const net = buildNetwork(topology, { seed: 1, startTime: 0, eventBudget: 100_000 });
    const host = net.hosts.get("node1")!;
    // What `ping -b` sends (the simulator's ping does not take -b): an echo request to the subnet's broadcast address.
    const eth0 = host.namespaces.get("nginx-1")!.device("eth0")!;
    const request: Ipv4Payload = { kind: "ipv4", src: 0xac110002, dst: 0xac11ffff, ttl: 64, tos: 0, id: 1, dontFragment: true, l4: { kind: "icmp-echo", type: "request", id: 7, seq: 1, data: new Uint8Array(56) } };
    eth0.transmit(net.ctx.buildFrame(eth0.mac, "ff:ff:ff:ff:ff:ff", request, 1));
    net.scheduler.runUntil(1_000_000);
    const root = net.trace.take().filter((e) => e.namespace === "root");
    const kinds = root.map((e) => `${e.kind} ${e.device}`);
    // PREROUTING before the bridge floods; FORWARD for the copy to the other port, where conntrack confirms the flow; then the copy passed up.
    expect(kinds.slice(0, 3)).toEqual(["frame-rx veth9c02e56", "bridge-learn docker0", "bridge-flood docker0"]);
    expect(kinds.indexOf("netfilter docker0")).toBeLessThan(kinds.indexOf("conntrack null"));
    expect(kinds.indexOf("conntrack null")).toBeLessThan(kinds.indexOf("frame-tx vethb4963f3"));
    expect(kinds.indexOf("frame-tx vethb4963f3")).toBeLessThan(kinds.indexOf("bridge-local docker0"));
    expect(root.find((e) => e.kind === "netfilter")).toMatchObject({ table: "filter", chain: "FORWARD", rule: "-A FORWARD -j DOCKER-USER" });
    expect(root.filter((e) => e.kind === "conntrack")).toEqual([expect.objectContaining({ orig: "src=172.17.0.2 dst=172.17.255.255 id=7" })]);
  });
});
