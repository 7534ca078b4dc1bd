/**
 * NetworkPolicy egress and ipBlock in the network-policy lab, as kube-router
 * writes them: frontend-egress lets the frontend pod open port 8080 of the
 * web pods (a hash:ip KUBE-DST set); patched as the lab's task asks, port
 * 8080 in 10.244.0.0/16 except node2's pod subnet, through a hash:net set
 * whose except is a nomatch entry. The frontend pod's chain takes its
 * traffic by source. Other patches: total isolation, an ingress ipBlock.
 */
import { describe, expect, it } from "vitest";
import type { TraceEvent } from "../../../server/engine/trace/trace-event.js";
import { labEngine } from "../helpers/lab-engine.js";

const fromFrontend = (to: string) => ({ host: "node1", namespace: "frontend", command: `curl -sS --connect-timeout 1 http://${to}/` });
const rejects = (events: readonly TraceEvent[]) => events.filter((x): x is Extract<TraceEvent, { kind: "netfilter" }> => x.kind === "netfilter" && x.target === "REJECT").map((x) => `${x.host} ${x.rule.match(/--comment "([^"]+)"/)?.[1]}`);
const patch = (policy: string, spec: object) => ({ host: "node1", command: `kubectl patch networkpolicy ${policy} --type merge -p '${JSON.stringify({ spec })}'` });
const BLOCK = { egress: [{ to: [{ ipBlock: { cidr: "10.244.0.0/16", except: ["10.244.2.0/24"] } }], ports: [{ protocol: "TCP", port: 8080 }] }] };

/** The lab with frontend-egress patched to the task's ipBlock. */
function withBlock() {
  const e = labEngine("network-policy");
  expect(e.run(patch("frontend-egress", BLOCK)).output).toBe("networkpolicy.networking.k8s.io/frontend-egress patched\n");
  return e;
}

describe("NetworkPolicy egress with an ipBlock", () => {
  it("the lab's own policy: frontend reaches web, a hash:ip set of web's address; client, which serves 8080 too, is refused", () => {
    const e = labEngine("network-policy");
    expect(e.run(fromFrontend("10.244.1.2:8080")).exitCode).toBe(0);
    expect(rejects(e.run(fromFrontend("10.244.2.2:8080")).events)).toEqual(["node1 default/frontend reject"]);
    expect(e.run({ host: "node2", namespace: "client", command: "curl -s http://10.244.2.2:8080/" }).output).toBe("client\n");
    expect(e.run({ host: "node1", command: "ipset save" }).output).not.toContain("hash:net");
    expect(e.run({ host: "node1", command: "iptables -S" }).output).toContain('-m comment --comment "default/frontend-egress egress pods"');
  });

  it("frontend reaches web on 8080, inside the block", () => {
    const e = withBlock();
    const r = e.run(fromFrontend("10.244.1.2:8080"));
    expect([r.exitCode, r.output]).toEqual([0, "web-5f7c8d9b4-q8zrt\n"]);
    // frontend's pod chain sent the SYN through frontend-egress's chain, whose ipBlock rule marked it.
    const marks = r.events.filter((x) => x.kind === "netfilter" && x.host === "node1" && x.rule.includes("default/frontend-egress egress ipBlock") && x.target === "MARK");
    expect(marks.length).toBeGreaterThan(0);
  });

  it("frontend's SYN to client, in the except hole, is refused on node1 by frontend's own chain before it leaves", () => {
    const e = withBlock();
    const r = e.run(fromFrontend("10.244.2.2:8080"));
    expect(r).toMatchObject({ exitCode: 7, output: "curl: (7) Failed to connect to 10.244.2.2 port 8080 after 0 ms: Couldn't connect to server\n" });
    expect(rejects(r.events)).toEqual(["node1 default/frontend reject"]);
    expect(r.events.some((x) => x.kind === "frame-tx" && x.host === "node2")).toBe(false);
  });

  it("an address outside the block (node2's own) is refused by frontend's chain too", () => {
    const e = withBlock();
    const r = e.run(fromFrontend("10.168.0.3:8080"));
    expect(r.exitCode).toBe(7);
    expect(rejects(r.events)).toEqual(["node1 default/frontend reject"]);
  });

  it("ipset shows the hash:net set with the except as nomatch; a lookup takes the longest prefix", () => {
    const e = withBlock();
    const names = e.run({ host: "node1", command: "ipset list -n" }).output.trim().split("\n");
    const listed = names.map((n) => e.run({ host: "node1", command: `ipset list ${n}` }).output);
    const net = listed.filter((l) => l.includes("Type: hash:net"));
    expect(net).toHaveLength(1);
    const name = /^Name: (\S+)/.exec(net[0]!)![1]!;
    expect(name).toMatch(/^KUBE-DST-[A-Z2-7]{16}$/);
    expect(net[0]!.replace(/initval 0x[0-9a-f]{8}/, "initval 0x<seed>")).toBe(
      [
        `Name: ${name}`,
        "Type: hash:net",
        "Revision: 7",
        "Header: family inet hashsize 1024 maxelem 65536 timeout 0 bucketsize 12 initval 0x<seed>",
        "Size in memory: 584",
        "References: 2",
        "Number of entries: 2",
        "Members:",
        "10.244.0.0/16 timeout 0",
        "10.244.2.0/24 timeout 0 nomatch",
        "",
      ].join("\n"),
    );
    expect(e.run({ host: "node1", command: `ipset test ${name} 10.244.1.2` })).toMatchObject({ output: `Warning: 10.244.1.2 is in set ${name}.\n`, exitCode: 0 });
    expect(e.run({ host: "node1", command: `ipset test ${name} 10.244.2.2` })).toMatchObject({ output: `10.244.2.2 is NOT in set ${name}.\n`, exitCode: 1 });
  });

  it("kubectl describe prints the egress rule with its IPBlock", () => {
    const e = withBlock();
    expect(e.run({ host: "node1", command: "kubectl describe netpol frontend-egress" }).output).toBe(
      [
        "Name:         frontend-egress",
        "Namespace:    default",
        "Created on:   1969-12-31 23:50:00 +0000 UTC",
        "Labels:       <none>",
        "Annotations:  <none>",
        "Spec:",
        "  PodSelector:     role=frontend",
        "  Not affecting ingress traffic",
        "  Allowing egress traffic:",
        "    To Port: 8080/TCP",
        "    To:",
        "      IPBlock:",
        "        CIDR: 10.244.0.0/16",
        "        Except: 10.244.2.0/24",
        "  Policy Types: Egress",
        "",
      ].join("\n"),
    );
  });

  it("an empty egress list isolates the pod: nothing leaves frontend, not even to web", () => {
    const e = labEngine("network-policy");
    e.run(patch("frontend-egress", { egress: [] }));
    expect(rejects(e.run(fromFrontend("10.244.1.2:8080")).events)).toEqual(["node1 default/frontend reject"]);
  });

  it("an ingress ipBlock: web admits node2's pods but one address, whatever their namespace or labels", () => {
    const e = labEngine("network-policy");
    const spec = { ingress: [{ from: [{ ipBlock: { cidr: "10.244.2.0/24", except: ["10.244.2.4/32"] } }], ports: [{ protocol: "TCP", port: 8080 }] }] };
    expect(e.run(patch("web-allow-monitoring", spec)).exitCode).toBe(0);
    const curl = (ns: string) => e.run({ host: "node2", namespace: ns, command: "curl -sS --connect-timeout 1 http://10.244.1.2:8080/" });
    expect(curl("client").exitCode).toBe(0);
    expect(curl("prometheus-0").exitCode).toBe(0);
    const debug = curl("debug");
    expect(debug.exitCode).toBe(7);
    expect(rejects(debug.events)).toEqual(["node1 default/web-5f7c8d9b4-q8zrt reject"]);
    expect(e.run({ host: "node1", command: "ipset save" }).output).toMatch(/add KUBE-SRC-[A-Z2-7]{16} 10\.244\.2\.4 timeout 0 nomatch\n/);
  });

  it("refuses an ipBlock next to a selector, as the API server does", () => {
    const e = labEngine("network-policy");
    const r = e.run(patch("frontend-egress", { egress: [{ to: [{ ipBlock: { cidr: "10.0.0.0/8" }, podSelector: {} }] }] }));
    expect(r).toMatchObject({ output: 'The NetworkPolicy "frontend-egress" is invalid: spec.egress[0].to[0]: may not specify both ipBlock and another peer\n', exitCode: 1 });
  });
});
