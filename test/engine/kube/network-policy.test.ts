/**
 * NetworkPolicy as kube-router enforces it, in the network-policy lab: the
 * rule shapes it writes (held to a fixture written from its source), the
 * walk of an allowed bridged SYN and of a refused routed one, ip sets that
 * follow the pods, the OR/AND of `from` items, and the iptables and ipset
 * commands' handling of the set, physdev and icmp matches.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { TraceEvent } from "../../../server/engine/trace/trace-event.js";
import { labEngine } from "../helpers/lab-engine.js";

const WEB = "10.244.1.2";
const curl = (ns: string, host = "node2") => ({ host, namespace: ns, command: `curl -s --connect-timeout 1 http://${WEB}:8080/` });
const PATCH_AND = `kubectl patch networkpolicy web-allow-monitoring --type merge -p '{"spec":{"ingress":[{"from":[{"namespaceSelector":{"matchLabels":{"team":"ops"}},"podSelector":{"matchLabels":{"app":"prometheus"}}}],"ports":[{"protocol":"TCP","port":8080}]}]}}'`;

/** The filter-table decisions on node1, with hashed chain names reduced to their kind. */
function walk(events: readonly TraceEvent[]): string[] {
  return events.flatMap((e) => (e.kind === "netfilter" && e.host === "node1" && e.table === "filter" ? [`${e.chain} ${e.target}`.replace(/-[A-Z2-7]{16}\b/g, "-*")] : []));
}

describe("NetworkPolicy with kube-router", () => {
  it("writes the chains and sets its source's templates give (fixture, hashes and versions masked)", () => {
    const e = labEngine("network-policy");
    const save = e.run({ host: "node1", command: "iptables-save -t filter" }).output;
    const mine = save
      .split("\n")
      .filter((l) => /KUBE-(ROUTER|NWPLCY|POD-FW)|kube-router/.test(l))
      .map((l) => l.replace(/(KUBE-(?:NWPLCY|POD-FW|SRC|DST)-)(?!COMMON|DEFAULT)[A-Z2-7]{16}/g, "$1<hash>").replace(/ - [A-Z2-7]{16}"/g, ' - <uuid>"'));
    const fixture = readFileSync("test/fixtures/kube-router/network-policy-node1.txt", "utf8").split("\n").filter((l) => l.startsWith("-A ") || l.startsWith(":"));
    expect(mine).toEqual(fixture);
  });

  it("frontend's SYN is bridged on node1: both jumps to web's pod chain, marked by web-allow-frontend, accepted by the 0x20000 mark", () => {
    const e = labEngine("network-policy");
    const r = e.run(curl("frontend", "node1"));
    expect([r.exitCode, r.output]).toEqual([0, "web-5f7c8d9b4-q8zrt\n"]);
    const steps = walk(r.events.filter((x) => x.packetId === r.events.find((y) => y.kind === "conntrack" && y.host === "node1")?.packetId));
    expect(steps.slice(0, 12)).toEqual([
      "FORWARD KUBE-ROUTER-FORWARD",
      "KUBE-ROUTER-FORWARD KUBE-POD-FW-*",
      "KUBE-POD-FW-* KUBE-NWPLCY-COMMON",
      "KUBE-POD-FW-* KUBE-NWPLCY-*",
      "KUBE-POD-FW-* KUBE-NWPLCY-*",
      "KUBE-NWPLCY-* MARK",
      "KUBE-NWPLCY-* RETURN",
      "KUBE-POD-FW-* MARK",
      "KUBE-POD-FW-* MARK",
      // The physdev rule matches too: a bridged packet walks the pod chain a second time.
      "KUBE-ROUTER-FORWARD KUBE-POD-FW-*",
      "KUBE-POD-FW-* KUBE-NWPLCY-COMMON",
      "KUBE-POD-FW-* KUBE-NWPLCY-*",
    ]);
    expect(r.events.some((x) => x.kind === "netfilter" && x.rule.includes("-m physdev --physdev-is-bridged") && x.host === "node1")).toBe(true);
    expect(steps.at(-1)).toBe("KUBE-ROUTER-FORWARD ACCEPT");
  });

  it("client's SYN is routed to node1 and rejected by web's pod chain; curl sees the port unreachable at once", () => {
    const e = labEngine("network-policy");
    const r = e.run(curl("client"));
    expect(r.exitCode).toBe(7);
    expect(walk(r.events)).toEqual([
      "FORWARD KUBE-ROUTER-FORWARD",
      "KUBE-ROUTER-FORWARD KUBE-POD-FW-*",
      "KUBE-POD-FW-* KUBE-NWPLCY-COMMON",
      "KUBE-POD-FW-* KUBE-NWPLCY-*",
      "KUBE-POD-FW-* KUBE-NWPLCY-*",
      "KUBE-POD-FW-* REJECT",
      // The ICMP error node1 sends back passes its own OUTPUT: client is not a local pod, nothing more.
      "OUTPUT KUBE-ROUTER-OUTPUT",
    ]);
    const icmp = r.events.find((x) => x.kind === "frame-rx" && x.namespace === "client" && x.layers?.some((l) => l.kind === "icmp"));
    expect(icmp?.summary).toContain("10.244.1.2 tcp port 8080 unreachable");
  });

  it("two from items are OR: debug in monitoring gets in; one item with both selectors is AND", () => {
    const e = labEngine("network-policy");
    expect(e.run(curl("debug")).exitCode).toBe(0);
    expect(e.run(curl("prometheus-0")).exitCode).toBe(0);
    const before = e.run({ host: "node1", command: "ipset list" }).output;
    expect(before).toContain("Number of entries: 2\nMembers:\n10.244.2.3 timeout 0\n10.244.2.4 timeout 0");
    const patched = e.run({ host: "node1", command: PATCH_AND });
    expect([patched.exitCode, patched.output]).toEqual([0, "networkpolicy.networking.k8s.io/web-allow-monitoring patched\n"]);
    expect(e.run(curl("debug")).exitCode).toBe(7);
    expect(e.run(curl("prometheus-0")).exitCode).toBe(0);
    expect(e.run({ host: "node1", command: "ipset list" }).output).toContain("Number of entries: 1\nMembers:\n10.244.2.3 timeout 0");
    // The same patch again changes nothing.
    expect(e.run({ host: "node1", command: PATCH_AND }).output).toBe("networkpolicy.networking.k8s.io/web-allow-monitoring patched (no change)\n");
  });

  it("labels change set members, not rules; a pod no policy selects accepts everything", () => {
    const e = labEngine("network-policy");
    expect(e.run({ host: "node1", command: "kubectl label pod client role=frontend" }).exitCode).toBe(0);
    expect(e.run(curl("client")).exitCode).toBe(0);
    // frontend itself is selected by no policy: client reaches it on any port (nothing listens: RST, curl 7 without a REJECT).
    const r = e.run({ host: "node2", namespace: "client", command: "curl -s --connect-timeout 1 http://10.244.1.3:80/" });
    expect(walk(r.events)).not.toContain("KUBE-POD-FW-* REJECT");
  });

  it("a sync makes new chains and removes the old ones", () => {
    const e = labEngine("network-policy");
    const chains = () => e.run({ host: "node1", command: "iptables -S" }).output.split("\n").filter((l) => l.startsWith("-N KUBE-POD-FW-") || l.startsWith("-N KUBE-NWPLCY-")).length;
    const before = e.run({ host: "node1", command: "iptables -S" }).output;
    expect(chains()).toBe(7);
    e.run({ host: "node1", command: "sleep 1" });
    e.run({ host: "node1", command: "kubectl label pod debug app=prometheus -n monitoring" });
    expect(chains()).toBe(7);
    expect(e.run({ host: "node1", command: "iptables -S" }).output).not.toBe(before);
  });

  it("without a controller, policies are stored and do nothing (flannel alone)", () => {
    const e = labEngine("service-clusterip");
    expect(e.run({ host: "node1", command: "kubectl get netpol" }).output).toBe("No resources found in default namespace.\n");
    expect(e.run({ host: "node1", command: "ipset list" }).output).toBe("");
  });

  it("iptables reads and prints the set, physdev and icmp matches as iptables 1.8.9 does; ipset refuses what the kernel refuses", () => {
    const e = labEngine("network-policy");
    const run = (command: string) => e.run({ host: "node2", command });
    expect(run("ipset create S1 hash:ip timeout 0").exitCode).toBe(0);
    expect(run("ipset add S1 10.244.1.2 timeout 0").exitCode).toBe(0);
    expect(run("ipset add S1 10.244.1.2").output).toBe("ipset v7.17: Element cannot be added to the set: it's already added\n");
    expect(run("iptables -N T").exitCode).toBe(0);
    expect(run("iptables -A T -m set ! --match-set S1 src,dst -j REJECT").exitCode).toBe(0);
    expect(run("iptables -A T -m physdev ! --physdev-is-bridged -j ACCEPT").exitCode).toBe(0);
    expect(run("iptables -A T -p icmp --icmp-type echo-request -j ACCEPT").exitCode).toBe(0);
    expect(run("iptables -S T").output).toBe(
      "-N T\n-A T -m set ! --match-set S1 src,dst -j REJECT --reject-with icmp-port-unreachable\n-A T -m physdev ! --physdev-is-bridged -j ACCEPT\n-A T -p icmp -m icmp --icmp-type 8 -j ACCEPT\n",
    );
    expect(run("iptables -L T -n").output).toContain("REJECT     0    --  0.0.0.0/0            0.0.0.0/0            ! match-set S1 src,dst reject-with icmp-port-unreachable\nACCEPT     0    --  0.0.0.0/0            0.0.0.0/0            PHYSDEV match ! --physdev-is-bridged\nACCEPT     1    --  0.0.0.0/0            0.0.0.0/0            icmptype 8\n");
    expect(run("iptables -A T -m set --match-set NOPE src -j ACCEPT").output).toBe("iptables v1.8.9 (nf_tables): Set NOPE doesn't exist.\n\nTry `iptables -h' or 'iptables --help' for more information.\n");
    expect(run("ipset list S1").output).toMatch(/^Name: S1\nType: hash:ip\nRevision: 6\nHeader: family inet hashsize 1024 maxelem 65536 timeout 0 bucketsize 12 initval 0x[0-9a-f]{8}\nSize in memory: 280\nReferences: 1\nNumber of entries: 1\nMembers:\n10.244.1.2 timeout 0\n$/);
    expect(run("ipset destroy S1").output).toBe("ipset v7.17: Set cannot be destroyed: it is in use by a kernel component\n");
    expect(run("ipset test S1 10.244.1.9")).toMatchObject({ exitCode: 1, output: "10.244.1.9 is NOT in set S1.\n" });
    expect(run("ipset list NOPE")).toMatchObject({ exitCode: 1, output: "ipset v7.17: The set with the given name does not exist\n" });
  });

  it("refuses a patch that would not be a valid policy, and leaves the policy as it was", () => {
    const e = labEngine("network-policy");
    const bad = e.run({ host: "node1", command: `kubectl patch netpol web-allow-frontend --type merge -p '{"spec":{"ingress":[{"from":[{}]}]}}'` });
    expect(bad.exitCode).toBe(1);
    expect(bad.output).toBe('The NetworkPolicy "web-allow-frontend" is invalid: spec.ingress[0].from[0]: must specify a peer: a podSelector, a namespaceSelector (or both), or an ipBlock\n');
    const hole = e.run({ host: "node1", command: `kubectl patch netpol web-allow-frontend --type merge -p '{"spec":{"ingress":[{"from":[{"ipBlock":{"cidr":"10.0.0.0/8","except":["192.168.0.0/16"]}}]}]}}'` });
    expect(hole).toMatchObject({ output: 'The NetworkPolicy "web-allow-frontend" is invalid: spec.ingress[0].from[0].ipBlock.except[0]: Invalid value: "192.168.0.0/16": must be a strict subset of `cidr`\n', exitCode: 1 });
    expect(e.run(curl("frontend", "node1")).exitCode).toBe(0);
  });
});

describe("kubectl describe networkpolicy", () => {
  it("lays the spec out as describe.go does: each from item its own From:, AND as two selectors under one", () => {
    const e = labEngine("network-policy");
    const run = (command: string) => e.run({ host: "node1", command }).output;
    expect(run("kubectl describe networkpolicy web-allow-monitoring")).toBe(
      [
        "Name:         web-allow-monitoring",
        "Namespace:    default",
        "Created on:   1969-12-31 23:50:00 +0000 UTC",
        "Labels:       <none>",
        "Annotations:  <none>",
        "Spec:",
        "  PodSelector:     app=web",
        "  Allowing ingress traffic:",
        "    To Port: 8080/TCP",
        "    From:",
        "      NamespaceSelector: team=ops",
        "    From:",
        "      PodSelector: app=prometheus",
        "  Not affecting egress traffic",
        "  Policy Types: Ingress",
        "",
      ].join("\n"),
    );
    e.run({ host: "node1", command: PATCH_AND });
    expect(run("kubectl describe netpol web-allow-monitoring")).toContain("    From:\n      NamespaceSelector: team=ops\n      PodSelector: app=prometheus\n  Not affecting egress traffic");
    expect(e.run({ host: "node1", command: "kubectl describe netpol nope" }).output).toBe('Error from server (NotFound): networkpolicies.networking.k8s.io "nope" not found\n');
  });
});
