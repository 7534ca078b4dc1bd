/**
 * The flannel-vxlan and host-gw labs' pods, wired by each node's CNI chain
 * instead of by the lab file: cni0 with the lease's MTU and first address,
 * each pod's veth on it in hairpin mode, host-local's addresses, the routes
 * via the gateway; a ping from c1 crossing cni0 before the overlay; and a
 * new pod started by kubectl scale, the chain's ADD run event by event.
 */
import { describe, expect, it } from "vitest";
import type { TraceEvent } from "../../../server/engine/trace/trace-event.js";
import { labEngine } from "../helpers/lab-engine.js";

type Cni = Extract<TraceEvent, { kind: "cni" }>;

const LABS = [
  { id: "flannel-vxlan", mtu: 1450 },
  { id: "host-gw", mtu: 1500 },
] as const;

describe.each(LABS)("$id: pods on cni0", ({ id, mtu }) => {
  it(`bridge made cni0 (MTU ${mtu}, the gateway 10.244.1.1/24, MAC 0a:58 and the gateway's bytes) and c1's veth pair on it, hairpin mode on`, () => {
    const e = labEngine(id);
    const cni0 = e.run({ host: "node1", command: "ip addr show cni0" }).output;
    expect(cni0).toContain(`mtu ${mtu} `);
    expect(cni0).toContain("link/ether 0a:58:0a:f4:01:01");
    expect(cni0).toContain("inet 10.244.1.1/24 brd 10.244.1.255 scope global cni0");
    const ports = e.run({ host: "node1", command: "ls -1 /sys/class/net/cni0/brif" }).output.trim().split("\n");
    expect(ports).toHaveLength(1);
    expect(ports[0]).toMatch(/^veth[0-9a-f]{8}$/);
    expect(e.run({ host: "node1", command: `cat /sys/class/net/${ports[0]}/brport/hairpin_mode` }).output).toBe("1\n");
    expect(e.run({ host: "node1", namespace: "c1", command: "ip link show eth0" }).output).toMatch(new RegExp(`^\\d+: eth0@if\\d+: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu ${mtu} [^\\n]*\\n +link/ether 0a:58:0a:f4:01:02 `));
    expect(e.run({ host: "node1", namespace: "c1", command: "ip route" }).output).toBe(
      "default via 10.244.1.1 dev eth0 \n10.244.0.0/16 via 10.244.1.1 dev eth0 \n10.244.1.0/24 dev eth0 proto kernel scope link src 10.244.1.2 \n",
    );
    expect(e.run({ host: "node2", command: "cat /run/flannel/subnet.env" }).output).toContain(`FLANNEL_SUBNET=10.244.2.1/24\nFLANNEL_MTU=${mtu}\n`);
    expect(e.run({ host: "node1", command: "ip link show docker0" }).exitCode).not.toBe(0);
  });

  it("c1 pings c3: ARP for the gateway through cni0 (the broadcast flooded back to c1 too, its port being in hairpin mode), then cni0 passes the packet up to node1, which routes it", () => {
    const e = labEngine(id);
    const r = e.run({ host: "node1", namespace: "c1", command: "ping -c 1 10.244.2.2" });
    expect(r.output).toContain("64 bytes from 10.244.2.2: icmp_seq=1 ttl=62");
    const port = e.run({ host: "node1", command: "ls -1 /sys/class/net/cni0/brif" }).output.trim();
    const head = r.events.slice(0, 17).map((x) => `${x.kind} ${x.host}/${x.namespace}/${x.device ?? "-"}`);
    expect(head).toEqual([
      "route-lookup node1/c1/-",
      "neigh-state node1/c1/eth0",
      "arp-request node1/c1/eth0",
      "frame-tx node1/c1/eth0",
      `frame-rx node1/root/${port}`,
      "bridge-learn node1/root/cni0",
      "bridge-flood node1/root/cni0",
      `frame-tx node1/root/${port}`,
      "bridge-local node1/root/cni0",
      "frame-rx node1/root/cni0",
      "neigh-state node1/root/cni0",
      "arp-reply node1/root/cni0",
      "frame-tx node1/root/cni0",
      "bridge-forward node1/root/cni0",
      `frame-tx node1/root/${port}`,
      "frame-rx node1/c1/eth0",
      "drop node1/c1/eth0",
    ]);
    const forward = r.events.find((x) => x.kind === "ip-forward" && x.host === "node1");
    expect(forward).toMatchObject({ namespace: "root", device: "cni0" });
    expect(forward!.summary).toMatch(/^forward 10\.244\.1\.2 > 10\.244\.2\.2 from cni0 to (flannel\.1|eth0), ttl 64 → 63$/);
    const delivered = r.events.findIndex((x) => x.kind === "icmp-echo" && x.host === "node2" && x.namespace === "c3");
    const intoCni0 = r.events.findIndex((x) => x.kind === "bridge-forward" && x.host === "node2" && x.device === "cni0");
    expect(intoCni0).toBeGreaterThan(0);
    expect(delivered).toBeGreaterThan(intoCni0);
  });

  it("kubectl scale deployment web --replicas=2: each node runs ADD (flannel, bridge, host-local, bridge, portmap) for its new pod, on the cni0 already there, and host-local hands out .3", () => {
    const e = labEngine(id);
    const r = e.run({ host: "node1", command: "kubectl scale deployment web --replicas=2" });
    const steps = (host: string) => r.events.filter((x): x is Cni => x.kind === "cni" && x.host === host);
    for (const [node, n] of [["node1", 1], ["node2", 2]] as const) {
      const s = steps(node);
      expect(s.map((x) => `${x.command} ${x.plugin}`)).toEqual(["ADD flannel", "ADD bridge", "ADD host-local", "ADD bridge", "ADD portmap"]);
      expect(s[0]!.detail).toContain(`reads 10.244.${n}.0/24 (FLANNEL_MTU=${mtu}) from /run/flannel/subnet.env and delegates to bridge`);
      expect(s[1]!.detail).toMatch(new RegExp(`^finds cni0, makes the veth pair eth0 in web-\\w+-\\w+ and veth[0-9a-f]{8} on the host, enslaves veth[0-9a-f]{8} to cni0, hairpin mode on$`));
      expect(s[2]!.detail).toBe(`reserves 10.244.${n}.3 in 10.244.${n}.0/24 (gateway 10.244.${n}.1, last reserved now 10.244.${n}.3)`);
      expect(s[3]!.detail).toBe(`sets 10.244.${n}.3/24 on eth0 with routes 10.244.0.0/16 and default via 10.244.${n}.1`);
    }
    expect(e.run({ host: "node1", command: "ls -1 /sys/class/net/cni0/brif" }).output.trim().split("\n")).toHaveLength(2);
  });
});
