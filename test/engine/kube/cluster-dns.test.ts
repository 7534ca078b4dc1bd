/**
 * Cluster DNS in the cluster-dns lab: the client pod's resolver walks the
 * search path in order (one UDP query per candidate, visible on its eth0),
 * CoreDNS behind the kube-dns Service answers Service names, headless
 * Services and NXDOMAIN, and the frames read by tcpdump say what our
 * summaries say.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { TraceEvent } from "../../../server/engine/trace/trace-event.js";
import { summarizeFrame, type DnsLayer } from "../../../server/engine/wire/packet.js";
import { labEngine } from "../helpers/lab-engine.js";

const inClient = (command: string) => ({ host: "node2", namespace: "client", command });

/** The DNS messages a command's frames carried on the client's eth0, as "A? name" / "NXDomain" lines, in order. */
function dnsOnClient(events: readonly TraceEvent[]): { summary: string; dns: DnsLayer }[] {
  return events.flatMap((e) => {
    if ((e.kind !== "frame-tx" && e.kind !== "frame-rx") || e.host !== "node2" || e.namespace !== "client" || e.layers === null) return [];
    const dns = e.layers.find((l): l is DnsLayer => l.kind === "dns");
    return dns === undefined ? [] : [{ summary: summarizeFrame(e.layers), dns }];
  });
}

describe("cluster DNS", () => {
  it("nslookup of a short name: the first search suffix finds it, then nslookup asks for AAAA", () => {
    const e = labEngine("cluster-dns");
    const r = e.run(inClient("nslookup hostnames"));
    expect(r.output).toBe("Server:\t\t10.96.0.10\nAddress:\t10.96.0.10#53\n\nName:\thostnames.default.svc.cluster.local\nAddress: 10.96.0.100\n\n");
    const sent = r.events.filter((x) => x.kind === "frame-tx" && x.namespace === "client" && x.layers?.some((l) => l.kind === "dns"));
    expect(sent.map((x) => (x.layers!.find((l) => l.kind === "dns") as DnsLayer).questions[0])).toEqual([
      { name: "hostnames.default.svc.cluster.local", type: "A" },
      { name: "hostnames.default.svc.cluster.local", type: "AAAA" },
    ]);
    // The query is DNATed on node2 to the CoreDNS pod on node1, which answers; conntrack gives the answer 10.96.0.10 back.
    expect(r.events.find((x) => x.kind === "nat" && x.host === "node2")?.summary).toBe("DNAT: destination 10.96.0.10:53 → 10.244.1.2:53");
    expect(r.events.some((x) => x.kind === "socket-deliver" && x.host === "node1" && x.process === "coredns/coredns-5d78c9869d-7xq2p")).toBe(true);
    expect(r.events.some((x) => x.kind === "nat" && x.host === "node2" && x.summary === "un-DNAT: source 10.244.1.2:53 → 10.96.0.10:53")).toBe(true);
  });

  it("a name that does not exist: every search suffix, then the name itself, each answered NXDOMAIN", () => {
    const e = labEngine("cluster-dns");
    const r = e.run(inClient("nslookup nope"));
    expect(r.exitCode).toBe(1);
    expect(r.output).toBe("Server:\t\t10.96.0.10\nAddress:\t10.96.0.10#53\n\n** server can't find nope: NXDOMAIN\n\n");
    const dns = dnsOnClient(r.events);
    expect(dns.filter((d) => !d.dns.response).map((d) => d.dns.questions[0]!.name)).toEqual(["nope.default.svc.cluster.local", "nope.svc.cluster.local", "nope.cluster.local", "nope"]);
    expect(dns.filter((d) => d.dns.response).map((d) => [d.dns.rcode, d.dns.authority[0]?.type])).toEqual([
      [3, "SOA"],
      [3, "SOA"],
      [3, "SOA"],
      [3, "SOA"],
    ]);
  });

  it("a headless Service answers with its ready pods' addresses, one A record each", () => {
    const e = labEngine("cluster-dns");
    const r = e.run(inClient("nslookup hostnames-headless"));
    expect(r.output).toContain("Name:\thostnames-headless.default.svc.cluster.local\nAddress: 10.244.1.3\nName:\thostnames-headless.default.svc.cluster.local\nAddress: 10.244.2.2\n");
    const answer = dnsOnClient(r.events).find((d) => d.dns.response && d.dns.answers.length > 0)!.dns;
    expect(answer.answers.map((a) => [a.type, a.ttl, a.data])).toEqual([
      ["A", 30, "10.244.1.3"],
      ["A", 30, "10.244.2.2"],
    ]);
    // kube-proxy writes nothing for it: it has no address to translate.
    expect(e.run({ host: "node2", command: "iptables-save -t nat" }).output).not.toContain("hostnames-headless");
  });

  it("dig asks for the name as typed unless +search, with EDNS", () => {
    const e = labEngine("cluster-dns");
    const short = e.run(inClient("dig +short hostnames"));
    expect([short.exitCode, short.output]).toEqual([0, ""]);
    expect(dnsOnClient(short.events).map((d) => d.summary.replace(/\.\d+ > /, ".P > ").replace(/ > 10\.244\.2\.3\.\d+/, " > 10.244.2.3.P").replace(/: \d+/, ": ID"))).toEqual([
      "IP 10.244.2.3.P > 10.96.0.10.53: ID+ [1au] A? hostnames. (50)",
      "IP 10.96.0.10.P > 10.244.2.3.P: ID NXDomain 0/1/1 (113)",
    ]);
    expect(e.run(inClient("dig +short +search hostnames")).output).toBe("10.96.0.100\n");
    expect(e.run(inClient("dig +short hostnames.default.svc.cluster.local")).output).toBe("10.96.0.100\n");
  });

  it("tcpdump reads the simulator's DNS frames as our summaries say (seed 1)", () => {
    const lines: string[] = [];
    const e = labEngine("cluster-dns");
    for (const c of ["nslookup hostnames", "nslookup hostnames-headless", "nslookup nope", "dig +short hostnames.default.svc.cluster.local"]) {
      for (const d of dnsOnClient(e.run(inClient(c)).events)) lines.push(d.summary);
    }
    expect(lines).toEqual(readFileSync("test/fixtures/dns/cluster-dns-client-eth0.txt", "utf8").trimEnd().split("\n"));
  });

  it("with CoreDNS gone the Service rejects the query: three refused tries", () => {
    const e = labEngine("cluster-dns");
    expect(e.run({ host: "node1", command: "kubectl delete pod coredns-5d78c9869d-7xq2p -n kube-system" }).exitCode).toBe(0);
    const r = e.run(inClient("nslookup hostnames"));
    expect(r.exitCode).toBe(1);
    expect(r.output).toBe(`${";; communications error to 10.96.0.10#53: connection refused\n".repeat(3)};; no servers could be reached\n\n`);
    const dig = e.run(inClient("dig +short hostnames.default.svc.cluster.local"));
    expect(dig.exitCode).toBe(9);
  });

  it("a pod's resolv.conf follows its namespace; outside a pod the tools are not simulated", () => {
    const e = labEngine("cluster-dns");
    expect(e.run({ host: "node1", namespace: "coredns-5d78c9869d-7xq2p", command: "cat /etc/resolv.conf" }).output).toBe("search kube-system.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.96.0.10\noptions ndots:5\n");
    expect(e.run({ host: "node2", command: "nslookup hostnames" }).output).toBe("nslookup outside a pod of a cluster with DNS: not simulated in cnlab\n");
  });
});
