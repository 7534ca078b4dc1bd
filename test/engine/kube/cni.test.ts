/**
 * The CNI chain on the cni-bridge-plugin lab's nodes: what flannel, bridge
 * and host-local leave behind (checked against the plugins' real shapes:
 * kube-flannel's conflist, the delegate's routes, host-local's round-robin
 * store), CNI_COMMAND=ADD and DEL as trace events in the order the runtime
 * runs the plugins, and the ReplicaSet's scaling with kube-proxy following.
 */
import { describe, expect, it } from "vitest";
import { HostLocal } from "../../../server/engine/kube/host-local.js";
import type { TraceEvent } from "../../../server/engine/trace/trace-event.js";
import { parseIpv4CidrOrThrow, formatIpv4 } from "../../../server/engine/wire/ipv4-address.js";
import { labEngine } from "../helpers/lab-engine.js";

const cniSteps = (events: TraceEvent[], host: string) =>
  events.filter((e): e is Extract<TraceEvent, { kind: "cni" }> => e.kind === "cni" && e.host === host).map((e) => `${e.command} ${e.plugin}`);

describe("host-local", () => {
  const subnet = parseIpv4CidrOrThrow("10.244.2.0/29");
  const ipam = () => new HostLocal(subnet, subnet.address + 1);

  it("starts at .2, skipping the gateway, and goes on after the last address it reserved even when a lower one is free", () => {
    const h = ipam();
    expect(formatIpv4(h.allocate("a", "eth0")!)).toBe("10.244.2.2");
    expect(formatIpv4(h.allocate("b", "eth0")!)).toBe("10.244.2.3");
    expect(h.release("a")).toEqual([subnet.address + 2]);
    expect(formatIpv4(h.allocate("c", "eth0")!)).toBe("10.244.2.4");
  });

  it("wraps to the range's start, and refuses when every address is taken (the broadcast address never counts)", () => {
    const h = ipam();
    const got = ["a", "b", "c", "d", "e"].map((id) => h.allocate(id, "eth0"));
    expect(got.map((ip) => formatIpv4(ip!))).toEqual(["10.244.2.2", "10.244.2.3", "10.244.2.4", "10.244.2.5", "10.244.2.6"]);
    expect(h.allocate("f", "eth0")).toBeNull();
    h.release("b");
    expect(formatIpv4(h.allocate("g", "eth0")!)).toBe("10.244.2.3");
  });
});

describe("pods wired by the CNI chain", () => {
  it("the files the runtime and the plugins read: kube-flannel's conflist, flanneld's lease, /opt/cni/bin as ls lays it out", () => {
    const e = labEngine("cni-bridge-plugin");
    const conflist = e.run({ host: "node1", command: "cat /etc/cni/net.d/10-flannel.conflist" }).output;
    expect(JSON.parse(conflist)).toEqual({
      name: "cbr0",
      cniVersion: "0.3.1",
      plugins: [
        { type: "flannel", delegate: { hairpinMode: true, isDefaultGateway: true } },
        { type: "portmap", capabilities: { portMappings: true } },
      ],
    });
    expect(e.run({ host: "node2", command: "cat /run/flannel/subnet.env" }).output).toBe("FLANNEL_NETWORK=10.244.0.0/16\nFLANNEL_SUBNET=10.244.2.1/24\nFLANNEL_MTU=1500\nFLANNEL_IPMASQ=true\n");
    // Captured from GNU ls 9.1 (-C -w 80) over the same file names.
    expect(e.run({ host: "node1", command: "ls /opt/cni/bin" }).output).toBe(
      "bandwidth  dummy     host-device  loopback  ptp     tap     vrf\n" + "bridge\t   firewall  host-local   macvlan   sbr     tuning\n" + "dhcp\t   flannel   ipvlan\t  portmap   static  vlan\n",
    );
    expect(e.run({ host: "node1", command: "cat /etc/cni/net.d/99-other.conflist" })).toMatchObject({ exitCode: 1, output: "cat: /etc/cni/net.d/99-other.conflist: No such file or directory\n" });
    expect(e.run({ host: "node1", command: "ls /nowhere" })).toMatchObject({ exitCode: 2, output: "ls /nowhere: not simulated in cnlab (it shows the CNI directories and bridges' brif/)\n" });
  });

  it("bridge's work inside the pod and on the node: eth0 with the lease's address and 0a:58 MAC, routes via cni0's address, the port in hairpin mode", () => {
    const e = labEngine("cni-bridge-plugin");
    expect(e.run({ host: "node1", namespace: "client", command: "ip route" }).output).toBe(
      "default via 10.244.1.1 dev eth0 \n10.244.0.0/16 via 10.244.1.1 dev eth0 \n10.244.1.0/24 dev eth0 proto kernel scope link src 10.244.1.2 \n",
    );
    expect(e.run({ host: "node1", namespace: "client", command: "ip -br addr show eth0" }).output).toMatch(/^eth0@if\d+ +UP +10\.244\.1\.2\/24/);
    expect(e.run({ host: "node1", namespace: "client", command: "ip link show eth0" }).output).toContain("link/ether 0a:58:0a:f4:01:02");
    expect(e.run({ host: "node1", command: "ip addr show cni0" }).output).toContain("inet 10.244.1.1/24");
    const ports = e.run({ host: "node1", command: "ls -1 /sys/class/net/cni0/brif" }).output.trim().split("\n");
    expect(ports).toHaveLength(2);
    for (const p of ports) {
      expect(p).toMatch(/^veth[0-9a-f]{8}$/);
      expect(e.run({ host: "node1", command: `cat /sys/devices/virtual/net/cni0/brif/${p}/hairpin_mode` }).output).toBe("1\n");
    }
    expect(e.run({ host: "node1", command: "ls /var/lib/cni/networks/cbr0" }).output).toBe("10.244.1.2  10.244.1.3\tlast_reserved_ip.0  lock\n");
  });

  it("kubectl scale: ADD runs flannel, bridge, host-local, bridge, portmap per new pod; DEL runs portmap, flannel, host-local, bridge; kube-proxy follows", () => {
    const e = labEngine("cni-bridge-plugin");
    const up = e.run({ host: "node1", command: "kubectl scale deployment web --replicas=4" });
    expect(up.output).toBe("deployment.apps/web scaled\n");
    const add = ["ADD flannel", "ADD bridge", "ADD host-local", "ADD bridge", "ADD portmap"];
    expect(cniSteps(up.events, "node1")).toEqual(add);
    expect(cniSteps(up.events, "node2")).toEqual(add);
    const reserved = up.events.find((x) => x.kind === "cni" && x.host === "node1" && x.plugin === "host-local");
    expect(reserved?.summary).toContain("reserves 10.244.1.4 in 10.244.1.0/24");
    expect(e.run({ host: "node1", command: "iptables -t nat -S" }).output.match(/-j KUBE-SEP-/g)).toHaveLength(4);

    const down = e.run({ host: "node2", command: "kubectl scale deploy/web --replicas=2" });
    expect(cniSteps(down.events, "node1")).toEqual(["DEL portmap", "DEL flannel", "DEL host-local", "DEL bridge"]);
    expect(e.run({ host: "node1", command: "ls -1 /sys/class/net/cni0/brif" }).output.trim().split("\n")).toHaveLength(2);
    expect(e.run({ host: "node1", command: "iptables -t nat -S" }).output.match(/-j KUBE-SEP-/g)).toHaveLength(2);

    // node2 has fewer pods: the new one goes there, and host-local goes on after .3 although .3 is free.
    e.run({ host: "node1", command: "kubectl scale deployment web --replicas=3" });
    expect(e.run({ host: "node1", command: "kubectl get pods -o wide" }).output).toMatch(/web-\w+-\w+ +1\/1 +Running +0 +0s +10\.244\.2\.4 +node2/);
    expect(e.run({ host: "node2", command: "cat /var/lib/cni/networks/cbr0/last_reserved_ip.0" }).output).toBe("10.244.2.4\n");
  });

  it("kubectl get deployments; a deleted pod is detached (DEL) and its ReplicaSet makes another (ADD); deleting the Deployment detaches them all", () => {
    const e = labEngine("cni-bridge-plugin");
    const run = (command: string) => e.run({ host: "node1", command });
    expect(run("kubectl get deployments").output).toBe("NAME   READY   UP-TO-DATE   AVAILABLE   AGE\nweb    2/2     2            2           10m\n");
    expect(run("kubectl get deploy,svc").output).toContain("deployment.apps/web   2/2     2            2           10m\n");
    const onNode2 = /^(web-\w+-\w+) .* node2 /m.exec(run("kubectl get pods -o wide").output)![1]!;
    const del = run(`kubectl delete pod ${onNode2}`);
    expect(del.output).toBe(`pod "${onNode2}" deleted\n`);
    expect(cniSteps(del.events, "node2")).toEqual(["DEL portmap", "DEL flannel", "DEL host-local", "DEL bridge", "ADD flannel", "ADD bridge", "ADD host-local", "ADD bridge", "ADD portmap"]);
    expect(run("kubectl get pods").output.match(/^web-/gm)).toHaveLength(2);
    expect(run("kubectl delete deployment web").output).toBe('deployment.apps "web" deleted\n');
    expect(run("kubectl get pods").output).not.toMatch(/^web-/m);
    expect(run("kubectl get endpoints web").output).toContain("<none>");
    expect(run("kubectl get deployments -o wide").output).toBe("kubectl get deployments -o wide: not simulated in cnlab\n");
  });

  it("kubectl scale's errors, as kubectl prints them", () => {
    const e = labEngine("cni-bridge-plugin");
    const run = (command: string) => e.run({ host: "node1", command });
    expect(run("kubectl scale deployment web")).toMatchObject({ exitCode: 1, output: 'error: required flag(s) "replicas" not set\n' });
    expect(run("kubectl scale deployment web --replicas=x").output).toBe('error: invalid argument "x" for "--replicas" flag: strconv.ParseInt: parsing "x": invalid syntax\n');
    expect(run("kubectl scale deployment web --replicas=-1").output).toBe("error: The --replicas=COUNT flag is required, and COUNT must be greater than or equal to 0\n");
    expect(run("kubectl scale deployment nope --replicas=1").output).toBe('Error from server (NotFound): deployments.apps "nope" not found\n');
    expect(run("kubectl scale statefulset web --replicas=1").output).toBe("kubectl scale statefulset: not simulated in cnlab\n");
  });

  it("a lab file asking for the CNI chain without a flannel lease, or for Deployments without the chain, is refused with the field's path", async () => {
    const { validateTopology } = await import("../../../server/engine/topology/validate-topology.js");
    const host = { name: "node1", nics: [{ name: "eth0", segment: "lan", addresses: ["10.168.0.2/24"] }] };
    const noOverlay = validateTopology({ segments: [{ name: "lan" }], hosts: [host], kubernetes: { nodes: ["node1"], clusterCidr: "10.244.0.0/16", cni: { plugin: "flannel" } } });
    expect(noOverlay).toContainEqual({ path: "/kubernetes/cni/plugin", message: expect.stringContaining("needs a flannel overlay") });
    const noChain = validateTopology({ segments: [{ name: "lan" }], hosts: [host], kubernetes: { nodes: ["node1"], clusterCidr: "10.244.0.0/16", deployments: [{ name: "web", replicas: 1, labels: { app: "web" } }] } });
    expect(noChain).toContainEqual({ path: "/kubernetes/deployments", message: "a Deployment's pods are attached by the CNI chain: add kubernetes.cni" });
  });
});
