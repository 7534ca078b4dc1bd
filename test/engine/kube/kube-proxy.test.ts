/**
 * kube-proxy's iptables mode on the service-clusterip lab's nodes: chain
 * names hashed as kube-proxy hashes them (checked against the course's own
 * iptables-save), the whole ruleset compared with one written by hand from
 * proxier.go's templates (test/fixtures/kube-proxy), the random choice of an
 * endpoint over many connections, and the rules following kubectl's changes.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { Engine } from "../../../server/engine/engine.js";
import { endpointChain, portProtoHash } from "../../../server/engine/kube/chain-names.js";
import type { KubernetesSpec } from "../../../server/engine/kube/kube-schema.js";
import { DEFAULT_LIMITS } from "../../../server/engine/limits.js";
import type { TopologySpec } from "../../../server/engine/topology/topology-schema.js";
import { engineFor, loadLab } from "../helpers/lab-engine.js";

const LAB = loadLab("service-clusterip").topology as TopologySpec;

function withServices(extra: NonNullable<KubernetesSpec["services"]>): TopologySpec {
  const k = LAB.kubernetes!;
  return { ...LAB, kubernetes: { ...k, services: [...(k.services ?? []), ...extra] } };
}

const EXTRA_SERVICES: NonNullable<KubernetesSpec["services"]> = [
  { name: "empty", clusterIP: "10.96.0.50", selector: { app: "nothing" }, ports: [{ port: 8080 }] },
  { name: "sticky", clusterIP: "10.96.0.60", selector: { app: "hostnames" }, ports: [{ port: 80, targetPort: 9376 }], sessionAffinity: "ClientIP" },
  { name: "web", type: "NodePort", clusterIP: "10.96.0.200", selector: { app: "hostnames" }, ports: [{ name: "http", port: 80, targetPort: 9376, nodePort: 30080 }], externalTrafficPolicy: "Local" },
];

describe("chain names", () => {
  it("hash the service port name and protocol as kube-proxy does (the course's KUBE-SVC and KUBE-SEP names)", () => {
    // Older kube-proxy wrote an unnamed port as "default/hostnames:"; the course's dump comes from one.
    expect(portProtoHash("default/hostnames:", "tcp")).toBe("NWV5X2332I4OT4T3");
    expect(endpointChain("default/hostnames:", "tcp", "10.244.3.6:9376")).toBe("KUBE-SEP-57KPRZ3JQVENLNBR");
  });
});

/** Types a restore file into a fresh host: its chains first (kube-proxy ensures them before its jumps), then its rules in order. */
function restoreInto(e: Engine, text: string): void {
  for (const pass of [":", "-A"]) {
    let table = "filter";
    for (const line of text.split("\n")) {
      if (line.startsWith("*")) table = line.slice(1);
      if (!line.startsWith(pass)) continue;
      const made = new Set(e.run({ host: "node1", command: `iptables -t ${table} -S` }).output.split("\n"));
      const name = line.slice(1).split(" ")[0]!;
      if (pass === ":" && made.has(`-N ${name}`)) continue;
      const command = pass === ":" ? `iptables -t ${table} -N ${name}` : `iptables -t ${table} ${line}`;
      const r = e.run({ host: "node1", command });
      expect(r.exitCode, `${command}: ${r.output}`).toBe(0);
    }
  }
}

describe("a node's ruleset, as kube-proxy writes it", () => {
  it("iptables-save on node2 is the ruleset proxier.go's templates give for the same cluster", () => {
    const lab = engineFor(withServices(EXTRA_SERVICES));
    const golden = engineFor({ hosts: [{ name: "node1" }] });
    restoreInto(golden, readFileSync("test/fixtures/kube-proxy/node2-clusterip-nodeport-local.rules", "utf8"));
    // The dates differ: the golden took some virtual time to type in.
    const save = (e: Engine, host: string) => e.run({ host, command: "iptables-save" }).output.replace(/ on .*$/gm, "");
    expect(save(lab, "node2")).toBe(save(golden, "node1"));
  });

  it("node1, with the web Service's two local endpoints, balances KUBE-SVL between them", () => {
    const lab = engineFor(withServices(EXTRA_SERVICES));
    const svl = `KUBE-SVL-${portProtoHash("default/web:http", "tcp")}`;
    const rules = lab.run({ host: "node1", command: `iptables -t nat -S ${svl}` }).output.trim().split("\n");
    expect(rules).toEqual([
      `-N ${svl}`,
      `-A ${svl} -m comment --comment "default/web:http -> 10.244.1.2:9376" -m statistic --mode random --probability 0.50000000000 -j ${endpointChain("default/web:http", "tcp", "10.244.1.2:9376")}`,
      `-A ${svl} -m comment --comment "default/web:http -> 10.244.1.3:9376" -j ${endpointChain("default/web:http", "tcp", "10.244.1.3:9376")}`,
    ]);
  });
});

/** How many of n connections from the client pod each hostnames pod answered. */
function answers(seed: number, n: number): Map<string, number> {
  const e = engineFor(LAB, { seed, limits: { ...DEFAULT_LIMITS, commandEvents: 10_000_000 } });
  const count = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const r = e.run({ host: "node2", namespace: "client", command: "curl -s http://10.96.0.100/" });
    expect(r.exitCode).toBe(0);
    count.set(r.output.trim(), (count.get(r.output.trim()) ?? 0) + 1);
  }
  return count;
}

describe("the random choice of an endpoint", () => {
  it("gives each of the three pods about a third of 300 connections, the same split for the same seed", () => {
    const split = answers(11, 300);
    expect([...split.keys()].sort()).toEqual(["hostnames-7lqfz", "hostnames-9xkpb", "hostnames-rc2bm"]);
    // Binomial(300, 1/3): σ ≈ 8.2; ±4σ.
    for (const c of split.values()) expect(Math.abs(c - 100)).toBeLessThan(33);
    expect(answers(11, 300)).toEqual(split);
  });
});

describe("kube-proxy follows kubectl", () => {
  it("a deleted pod leaves the endpoints and the Service's chain; the two left get 1/2 and the rest", () => {
    const e = engineFor(LAB);
    expect(e.run({ host: "node1", command: "kubectl delete pod hostnames-9xkpb" }).output).toBe('pod "hostnames-9xkpb" deleted\n');
    expect(e.run({ host: "node1", command: "kubectl get endpoints hostnames" }).output).toContain("10.244.1.2:9376,10.244.2.2:9376   ");
    const svc = e.run({ host: "node2", command: "iptables -t nat -S KUBE-SVC-YN5D6RYVEVZOH44Q" }).output;
    expect(svc).toContain("--probability 0.50000000000");
    expect(svc).not.toContain("10.244.1.3");
    // The deleted endpoint's chain is gone too.
    expect(e.run({ host: "node2", command: "iptables-save -t nat" }).output).not.toContain(endpointChain("default/hostnames", "tcp", "10.244.1.3:9376"));
    for (let i = 0; i < 10; i++) expect(e.run({ host: "node2", namespace: "client", command: "curl -s http://10.96.0.100/" }).output.trim()).not.toBe("hostnames-9xkpb");
  });

  it("a Service whose pods all lost the label has no endpoints: REJECT in filter, and curl is refused", () => {
    const e = engineFor(LAB);
    for (const p of ["hostnames-7lqfz", "hostnames-9xkpb", "hostnames-rc2bm"]) expect(e.run({ host: "node1", command: `kubectl label pod ${p} app-` }).output).toBe(`pod/${p} unlabeled\n`);
    expect(e.run({ host: "node1", command: "kubectl get endpoints" }).output).toMatch(/^hostnames {3}<none> {6}10m$/m);
    expect(e.run({ host: "node2", command: "iptables -S KUBE-SERVICES" }).output).toContain('-A KUBE-SERVICES -d 10.96.0.100/32 -p tcp -m comment --comment "default/hostnames has no endpoints" -m tcp --dport 80 -j REJECT --reject-with icmp-port-unreachable');
    expect(e.run({ host: "node2", command: "iptables -t nat -S" }).output).not.toContain("KUBE-SVC-");
    const r = e.run({ host: "node2", namespace: "client", command: "curl -sS http://10.96.0.100/" });
    expect(r.exitCode).toBe(7);
    expect(r.events.some((ev) => ev.kind === "icmp-error" && ev.host === "node2")).toBe(true);
    expect(e.run({ host: "node1", command: "kubectl label pod hostnames-rc2bm app=hostnames" }).output).toBe("pod/hostnames-rc2bm labeled\n");
    expect(e.run({ host: "node2", namespace: "client", command: "curl -s http://10.96.0.100/" }).output.trim()).toBe("hostnames-rc2bm");
  });

  it("the node itself reaches the Service: OUTPUT DNATs, and the node's address outside the pod network is masqueraded", () => {
    const e = engineFor(LAB);
    const r = e.run({ host: "node1", command: "curl -s http://10.96.0.100/" });
    expect(r.output).toMatch(/^hostnames-/);
    const hits = r.events.filter((ev) => ev.kind === "netfilter" && ev.host === "node1").map((ev) => (ev.kind === "netfilter" ? ev.rule : ""));
    expect(hits).toContain('-A KUBE-SVC-YN5D6RYVEVZOH44Q ! -s 10.244.0.0/16 -d 10.96.0.100/32 -p tcp -m comment --comment "default/hostnames cluster IP" -m tcp --dport 80 -j KUBE-MARK-MASQ');
    expect(hits).toContain('-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully');
  });

  it("ClientIP affinity: every connection of one client goes to the same pod", () => {
    const e = engineFor(withServices(EXTRA_SERVICES));
    const first = e.run({ host: "node2", namespace: "client", command: "curl -s http://10.96.0.60/" }).output;
    expect(first).toMatch(/^hostnames-/);
    for (let i = 0; i < 10; i++) expect(e.run({ host: "node2", namespace: "client", command: "curl -s http://10.96.0.60/" }).output).toBe(first);
  });
});
