/**
 * curl, wget, ping and nc in a pod take Service names: glibc's resolver walks
 * the pod's search path (ndots:5), asking A and AAAA together from one
 * socket, and the DNS frames come before the connection in the trace; names
 * that do not resolve get each tool's own words. Outside a pod there is no
 * resolver to ask.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { TraceEvent } from "../../../server/engine/trace/trace-event.js";
import type { DecodedFrame, DnsLayer } from "../../../server/engine/wire/packet.js";
import { labEngine } from "../helpers/lab-engine.js";
import { frameRecorder, linuxCapture } from "../helpers/linux-capture.js";

const inClient = (command: string) => ({ host: "node2", namespace: "client", command });

/** The questions the client sent and the rcodes it got back, in order, as "A? name" and "NoError"/"NXDomain" answers. */
function dnsOnClient(events: readonly TraceEvent[]): string[] {
  return events.flatMap((e) => {
    if (e.kind !== "frame-tx" || e.host !== "node2" || e.namespace !== "client" || e.layers === null) return [];
    const dns = e.layers.find((l): l is DnsLayer => l.kind === "dns");
    return dns === undefined ? [] : [`${dns.questions[0]!.type}? ${dns.questions[0]!.name}`];
  });
}

const firstIndex = (events: readonly TraceEvent[], test: (e: TraceEvent) => boolean) => events.findIndex(test);

describe("names in pods through cluster DNS", () => {
  it("curl hostnames: A and AAAA for the first search candidate from one socket, answered, before the SYN to the ClusterIP", () => {
    const e = labEngine("cluster-dns");
    const r = e.run(inClient("curl -s http://hostnames/"));
    expect(r.exitCode).toBe(0);
    expect(r.output).toMatch(/^hostnames-(7lqfz|rc2bm)\n$/);
    expect(dnsOnClient(r.events)).toEqual(["A? hostnames.default.svc.cluster.local", "AAAA? hostnames.default.svc.cluster.local"]);
    const queries = r.events.filter((x) => x.kind === "frame-tx" && x.namespace === "client" && x.layers?.some((l) => l.kind === "dns"));
    const ports = queries.map((x) => x.summary.match(/10\.244\.2\.3\.(\d+) >/)?.[1]);
    expect(new Set(ports).size).toBe(1);
    const answered = r.events.filter((x) => x.kind === "socket-deliver" && x.namespace === "client" && x.process === "curl" && x.protocol === "udp");
    expect(answered).toHaveLength(2);
    const syn = firstIndex(r.events, (x) => x.kind === "tcp-state" && x.namespace === "client" && x.summary.includes("SYN-SENT"));
    expect(syn).toBeGreaterThan(r.events.indexOf(answered[1]!));
    expect(r.events[syn]!.summary).toContain("10.96.0.100:80");
  });

  it("a name of another namespace, and a fully qualified one: ndots:5 puts the search path first unless the name ends in a dot", () => {
    const e = labEngine("cluster-dns");
    const other = e.run(inClient("curl -s kube-dns.kube-system:53"));
    expect(dnsOnClient(other.events).filter((q) => q.startsWith("A?"))).toEqual(["A? kube-dns.kube-system.default.svc.cluster.local", "A? kube-dns.kube-system.svc.cluster.local"]);
    const fqdn = e.run(inClient("nc -z hostnames.default.svc.cluster.local. 80"));
    expect(fqdn.exitCode).toBe(0);
    expect(dnsOnClient(fqdn.events)).toEqual(["A? hostnames.default.svc.cluster.local", "AAAA? hostnames.default.svc.cluster.local"]);
  });

  it("a name that does not exist: every candidate is NXDOMAIN, and each tool says so in its words", () => {
    const e = labEngine("cluster-dns");
    const curl = e.run(inClient("curl -sS http://nope/"));
    expect(curl).toMatchObject({ output: "curl: (6) Could not resolve host: nope\n", exitCode: 6 });
    expect(dnsOnClient(curl.events).filter((q) => q.startsWith("A?"))).toEqual(["A? nope.default.svc.cluster.local", "A? nope.svc.cluster.local", "A? nope.cluster.local", "A? nope"]);
    expect(curl.events.some((x) => x.kind === "tcp-state" && x.namespace === "client")).toBe(false);
    expect(e.run(inClient("ping -c 1 nope"))).toMatchObject({ output: "ping: nope: Name or service not known\n", exitCode: 2 });
    expect(e.run(inClient("nc -z nope 80"))).toMatchObject({ output: 'nc: getaddrinfo for host "nope" port 80: Name or service not known\n', exitCode: 1 });
    // wget -q prints nothing, errors included: only its exit status tells.
    expect(e.run(inClient("wget -q -O - http://nope/"))).toMatchObject({ output: "", exitCode: 4 });
  });

  it("a name that exists without an address (a namespace's svc subdomain): No address associated with hostname", () => {
    const e = labEngine("cluster-dns");
    expect(e.run(inClient("ping -c 1 default.svc.cluster.local."))).toMatchObject({ output: "ping: default.svc.cluster.local.: No address associated with hostname\n", exitCode: 2 });
  });

  it("no DNS server reachable: the resolver gives up after two tries of 5 seconds per question, a temporary failure", () => {
    const e = labEngine("cluster-dns");
    // kube-proxy on node2 sends the kube-dns Service nowhere once CoreDNS's pod is gone.
    expect(e.run({ host: "node1", command: "kubectl delete pod coredns-5d78c9869d-7xq2p -n kube-system" }).exitCode).toBe(0);
    const r = e.run(inClient("ping -c 1 hostnames"));
    expect(r).toMatchObject({ output: "ping: hostnames: Temporary failure in name resolution\n", exitCode: 2 });
  });

  it("wget -qO- and nc -zv reach the Service by name; ping prints the canonical name the resolver returned", () => {
    const e = labEngine("cluster-dns");
    expect(e.run(inClient("wget -qO- http://hostnames")).output).toMatch(/^hostnames-(7lqfz|rc2bm)\n$/);
    expect(e.run(inClient("nc -zv hostnames 80"))).toMatchObject({ output: "Connection to hostnames (10.96.0.100) 80 port [tcp/http] succeeded!\n", exitCode: 0 });
    expect(e.run(inClient("nc -zvn 10.96.0.100 80")).output).toBe("Connection to 10.96.0.100 80 port [tcp/*] succeeded!\n");
    expect(e.run(inClient("nc -zn hostnames 80"))).toMatchObject({ output: 'nc: getaddrinfo for host "hostnames" port 80: Name or service not known\n', exitCode: 1 });
    const ping = e.run(inClient("ping -c 1 hostnames-headless"));
    expect(ping.output.split("\n")[0]).toMatch(/^PING hostnames-headless\.default\.svc\.cluster\.local \(10\.244\.(1\.3|2\.2)\) 56\(84\) bytes of data\.$/);
    expect(ping.output).toContain("--- hostnames-headless.default.svc.cluster.local ping statistics ---");
  });

  it("the pod's own name comes from /etc/hosts, with no query", () => {
    const e = labEngine("cluster-dns");
    const r = e.run(inClient("ping -c 1 client"));
    expect(r.output.split("\n")[0]).toBe("PING client (10.244.2.3) 56(84) bytes of data.");
    expect(dnsOnClient(r.events)).toEqual([]);
  });

  it("outside a pod there is no resolver: a name is unknown at once, with no query", () => {
    const e = labEngine("cluster-dns");
    const r = e.run({ host: "node2", command: "curl -sS http://hostnames/" });
    expect(r).toMatchObject({ output: "curl: (6) Could not resolve host: hostnames\n", exitCode: 6, events: [] });
  });

  it("errors of the new tools: nc without -z, wget without -q or to a file", () => {
    const e = labEngine("cluster-dns");
    expect(e.run(inClient("nc hostnames 80")).output).toBe("nc without -z (carrying standard input over the connection): not simulated in cnlab\n");
    expect(e.run(inClient("nc -z hostnames 99999")).output).toBe("nc: port number invalid: 99999\n");
    expect(e.run(inClient("wget http://hostnames/")).output).toBe("wget without -q (its progress log): not simulated in cnlab\n");
    expect(e.run(inClient("wget -q http://hostnames/")).output).toBe("wget saving to a file (use -O -): not simulated in cnlab\n");
    expect(e.run(inClient("wget -q -O -"))).toMatchObject({ output: "wget: missing URL\nUsage: wget [OPTION]... [URL]...\n\nTry `wget --help' for more options.\n", exitCode: 1 });
  });
});

/** A DNS datagram without what is drawn at random (its id, the client's port): addresses, TTL, length, question, rcode, answers. */
function dnsDatagrams(frames: readonly DecodedFrame[]): string[] {
  return frames.flatMap((f) => {
    const ip = f.find((l) => l.kind === "ipv4");
    const dns = f.find((l): l is DnsLayer => l.kind === "dns");
    if (ip?.kind !== "ipv4" || dns === undefined) return [];
    const answers = dns.answers.map((a) => `${a.type} ${a.data}`).join(",");
    return [`${ip.src} > ${ip.dst} ttl ${ip.ttl} len ${ip.totalLength} ${dns.response ? "answer" : "query"} ${dns.questions.map((q) => `${q.type}? ${q.name}`).join(",")} rcode ${dns.rcode} authority ${dns.authority.length} [${answers}]`];
  });
}

const clientPorts = (frames: readonly DecodedFrame[]) =>
  new Set(frames.flatMap((f) => f.flatMap((l) => (l.kind === "udp" ? [l.srcPort === 53 ? l.dstPort : l.srcPort] : []))));

describe("curl hostnames, held to the lab built in namespaces (lab script, glibc 2.36, a responder answering as CoreDNS does)", () => {
  it("the client sends A and AAAA from one port before either answer, and both reach CoreDNS's pod before it answers the first", () => {
    const rec = frameRecorder();
    const e = labEngine("cluster-dns", { capture: rec.capture });
    expect(e.run(inClient("curl -s http://hostnames/")).exitCode).toBe(0);
    for (const [where, fixture] of [
      ["client/eth0", "capture-cluster-dns-curl-client-eth0"],
      ["coredns-5d78c9869d-7xq2p/eth0", "capture-cluster-dns-curl-coredns-eth0"],
    ] as const) {
      const linux = linuxCapture(fixture).filter((f) => f.some((l) => l.kind === "dns"));
      const simulated = rec.frames(where).filter((f) => f.some((l) => l.kind === "dns"));
      expect(dnsDatagrams(simulated), where).toEqual(dnsDatagrams(linux));
      expect(clientPorts(simulated).size, where).toBe(1);
      expect(clientPorts(linux).size, where).toBe(1);
    }
    expect(dnsDatagrams(rec.frames("coredns-5d78c9869d-7xq2p/eth0")).map((l) => l.split(" ").slice(7, 9).join(" "))).toEqual(["query A?", "query AAAA?", "answer A?", "answer AAAA?"]);
  });

  it("both queries are NEW where they are forwarded (no reply seen yet), the answers ESTABLISHED: node1's counters", () => {
    const e = labEngine("cluster-dns");
    // The fixture's run drew hostnames-rc2bm on node2, as the simulator's seed does: node1 forwards only the DNS.
    expect(e.run(inClient("curl -s http://hostnames/")).output).toBe("hostnames-rc2bm\n");
    const lines = (text: string) => text.split("\n").filter((l) => l !== "" && !l.startsWith("#"));
    const linux = lines(readFileSync("test/fixtures/linux/cluster-dns-node1-iptables-save-c-after-curl.txt", "utf8"));
    expect(linux).toContain('[2:162] -A FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES');
    expect(lines(e.run({ host: "node1", command: "iptables-save -c" }).output)).toEqual(linux);
  });
});
