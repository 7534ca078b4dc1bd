/**
 * The lab script of every shipped lab: valid bash (bash -n), everything made
 * inside namespaces named with the prefix, a cleanup that deletes exactly
 * those, MACs the lab leaves out taken from the simulator, Docker's rules as
 * the simulator has them.
 */
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { Engine, type TopologySpec } from "../../server/engine/index.js";
import { labScript } from "../../server/lab-script/lab-script.js";
import { defaultPrefix, labIdShort } from "../../server/lab-script/script-names.js";
import { REPO_LABS_DIR } from "../helpers/build-app.js";

interface Lab {
  id: string;
  title: { en: string };
  topology: TopologySpec;
}

const labs: Lab[] = readdirSync(REPO_LABS_DIR)
  .filter((f) => f.endsWith(".yaml"))
  .map((f) => parse(readFileSync(path.join(REPO_LABS_DIR, f), "utf8")) as Lab);

function scriptOf(lab: Lab, extra: Partial<Parameters<typeof labScript>[0]> = {}): string {
  const made = labScript({ labId: lab.id, title: lab.title.en, topology: lab.topology, ...extra });
  if (made.kind !== "ok") throw new Error(made.message);
  return made.script;
}

const bridgeLab = () => labs.find((l) => l.id === "bridge-two-containers")!;

describe("the lab script of each shipped lab", () => {
  it.each(labs.map((l) => [l.id, l] as const))("%s is valid bash that makes everything inside prefixed namespaces", (_id, lab) => {
    const script = scriptOf(lab);
    expect(() => execFileSync("bash", ["-n"], { input: script })).not.toThrow();
    expect(script).toContain("set -euo pipefail");
    expect(script).toContain(`P="\${CNLAB_PREFIX:-${defaultPrefix(lab.id)}}"`);
    const lines = script.split("\n").map((l) => l.trim());
    // Every iproute2 call that makes or changes a device names a namespace of the lab.
    for (const line of lines.filter((l) => /^ip (link|addr|route|neigh|tuntap)\b/.test(l))) throw new Error(`a device made in the machine's own namespace: ${line}`);
    // Every namespace it adds is one the cleanup deletes.
    const added = lines.filter((l) => l.startsWith("ip netns add ")).map((l) => l.slice("ip netns add ".length));
    const cleaned = /^NAMESPACES=\((.*)\)$/m.exec(script)![1]!.split(" ");
    expect(added.length).toBeGreaterThan(0);
    expect(added.sort()).toEqual([...cleaned].sort());
    for (const ns of added) expect(ns).toMatch(/^"\$\{P\}[A-Za-z0-9_.-]+"$/);
  });
});

describe("what the script writes", () => {
  it("names namespaces after the lab's initials unless told otherwise", () => {
    expect(labIdShort("bridge-two-containers")).toBe("btc");
    expect(scriptOf(bridgeLab(), { prefix: "class7-" })).toContain('P="${CNLAB_PREFIX:-class7-}"');
  });

  it("cables each NIC to its segment's switch and gives a MAC the lab leaves out the simulator's", () => {
    const lab = bridgeLab();
    const script = scriptOf(lab);
    const engine = Engine.create(lab.topology, { seed: 1 }) as Engine;
    const eth0 = engine.state().hosts[0]!.namespaces.find((n) => n.name === "root")!.interfaces.find((i) => i.name === "eth0")!;
    expect(script).toContain(`ip -n "\${P}node1" link add eth0 address ${eth0.mac} type veth peer name node1-eth0 netns "\${P}seg-underlay"`);
    expect(script).toContain('ip -n "${P}seg-underlay" link set node1-eth0 master sw up');
  });

  it("gives the Docker host the simulator's rules, br_netfilter's sysctl and ip_forward", () => {
    const script = scriptOf(bridgeLab());
    expect(script).toContain('ip netns exec "${P}node1" iptables -t filter -P FORWARD DROP');
    expect(script).toContain(`ip netns exec "\${P}node1" iptables -t nat -A POSTROUTING -s 172.17.0.0/16 '!' -o docker0 -j MASQUERADE`);
    expect(script).toContain('ip netns exec "${P}node1" sysctl -qw net.bridge.bridge-nf-call-iptables=1');
    expect(script).toContain('ip netns exec "${P}node1" sysctl -qw net.ipv4.ip_forward=1');
  });

  it("starts nginx's listener and waits for it", () => {
    const script = scriptOf(bridgeLab());
    expect(script).toContain('start_listener "${P}node1-nginx-1" tcp 80 "${CNLAB_HTTP_REPLY:-}"');
    expect(script).toContain('wait_listening "${P}node1-nginx-1" tcp 80');
  });

  it("programs flannel's VXLAN overlay as flanneld does, with the peer's VTEP MAC", () => {
    const lab = labs.find((l) => l.id === "flannel-vxlan")!;
    const script = scriptOf(lab);
    const engine = Engine.create(lab.topology, { seed: 1 }) as Engine;
    const vtep2 = engine.state().hosts.find((h) => h.name === "node2")!.namespaces[0]!.interfaces.find((i) => i.name === "flannel.1")!;
    expect(script).toContain(`ip -n "\${P}node1" link add flannel.1 address`);
    expect(script).toContain("type vxlan id 1 local 10.168.0.2 dev eth0 dstport 8472 nolearning");
    expect(script).toContain('ip -n "${P}node1" route add 10.244.2.0/24 via 10.244.2.0 dev flannel.1 onlink');
    expect(script).toContain(`ip -n "\${P}node1" neigh replace 10.244.2.0 lladdr ${vtep2.mac} dev flannel.1 nud permanent`);
    expect(script).toContain(`ip netns exec "\${P}node1" bridge fdb append ${vtep2.mac} dev flannel.1 dst 10.168.0.3`);
  });

  it("makes the pods the CNI chain wired as the bridge plugin did: cni0 (lease MTU, gateway MAC and address), a namespace and veth pair per pod with the simulator's names and MACs, hairpin as the delegate says, host-local's address, the routes via the gateway", () => {
    const lab = labs.find((l) => l.id === "flannel-vxlan")!;
    const made = labScript({ labId: lab.id, title: lab.title.en, topology: lab.topology });
    if (made.kind !== "ok") throw new Error(made.message);
    const node1 = (Engine.create(lab.topology, { seed: 1 }) as Engine).state().hosts.find((h) => h.name === "node1")!;
    const port = node1.namespaces.find((n) => n.name === "root")!.interfaces.find((i) => i.master === "cni0")!;
    const lines = made.script.split("\n").map((l) => l.trim());
    const at = (line: string) => {
      const i = lines.indexOf(line);
      expect(i, line).toBeGreaterThanOrEqual(0);
      return i;
    };
    const order = [
      at('ip -n "${P}node1" link add cni0 address 0a:58:0a:f4:01:01 mtu 1450 type bridge stp_state 0'),
      at('ip netns add "${P}node1-c1"'),
      at(`ip -n "\${P}node1" link add ${port.name} address ${port.mac} mtu 1450 type veth peer name eth0 address 0a:58:0a:f4:01:02 mtu 1450 netns "\${P}node1-c1"`),
      at(`ip -n "\${P}node1" link set ${port.name} master cni0`),
      at(`ip -n "\${P}node1" link set dev ${port.name} type bridge_slave hairpin on`),
      at('ip -n "${P}node1-c1" addr add 10.244.1.2/24 broadcast + dev eth0'),
      at('ip -n "${P}node1-c1" route add 10.244.0.0/16 via 10.244.1.1 dev eth0'),
      at('ip -n "${P}node1-c1" route add default via 10.244.1.1 dev eth0'),
      at('ip -n "${P}node1" addr add 10.244.1.1/24 broadcast + dev cni0'),
    ];
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(made.script).toContain('NAMESPACES=("${P}seg-underlay" "${P}node1" "${P}node2" "${P}node1-c1" "${P}node2-c3")');
    expect(made.namespaces).toEqual([
      { host: "node1", namespace: "root", suffix: "node1" },
      { host: "node2", namespace: "root", suffix: "node2" },
      { host: "node1", namespace: "c1", suffix: "node1-c1" },
      { host: "node2", namespace: "c3", suffix: "node2-c3" },
    ]);
    // service-hairpin's delegate turns hairpin mode off: the script leaves every port as the plugin did.
    const hairpin = scriptOf(labs.find((l) => l.id === "service-hairpin")!);
    expect(hairpin.match(/type bridge_slave hairpin off/g)).toHaveLength(2);
    expect(hairpin).not.toContain("hairpin on");
  });

  it("checks for IPIP before Calico's tunl0, and leaves out a host-gw route the kernel would refuse", () => {
    expect(scriptOf(labs.find((l) => l.id === "calico")!)).toContain("require_link_kind ipip");
    expect(scriptOf(labs.find((l) => l.id === "host-gw-routed")!)).toContain("# node1 flanneld cannot add 10.244.2.0/24 via 10.168.1.3 dev eth0");
  });

  it("refuses a topology the simulator refuses", () => {
    const made = labScript({ labId: "broken", title: "broken", topology: { hosts: [{ name: "a", routes: [{ to: "default", dev: "eth9" }] }] } });
    expect(made.kind).toBe("invalid-topology");
  });
});

describe("the lab script's ip sets", () => {
  it("makes a NetworkPolicy ipBlock's hash:net set, its except as a nomatch entry, before the rules that test it", () => {
    const lab = structuredClone(labs.find((l) => l.id === "network-policy")!);
    const policies = (lab.topology as { kubernetes: { networkPolicies: { name: string; egress?: unknown[] }[] } }).kubernetes.networkPolicies;
    const egress = policies.find((p) => p.name === "frontend-egress")!;
    egress.egress = [{ to: [{ ipBlock: { cidr: "10.244.0.0/16", except: ["10.244.2.0/24"] } }], ports: [{ protocol: "TCP", port: 8080 }] }];
    const script = scriptOf(lab);
    expect(() => execFileSync("bash", ["-n"], { input: script })).not.toThrow();

    const created = [...script.matchAll(/ipset create (\S+) hash:net\b/g)].map((m) => m[1]!);
    expect(created.length).toBeGreaterThan(0);
    const netSet = created[0]!;
    expect(script).toMatch(new RegExp(`ipset add ${netSet} 10\\.244\\.0\\.0/16\\b`));
    expect(script).toMatch(new RegExp(`ipset add ${netSet} 10\\.244\\.2\\.0/24( timeout [0-9]+)? nomatch\\b`));
    // Sets first: iptables refuses a rule that names a set not made yet.
    expect(script.indexOf(`ipset create ${netSet}`)).toBeLessThan(script.indexOf(`--match-set ${netSet}`));
  });
});
