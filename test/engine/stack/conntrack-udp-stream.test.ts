/**
 * A UDP flow becomes a stream in conntrack (ASSURED, the 120 s timeout) only
 * once traffic both ways lasts past two seconds (nf_conntrack_udp_packet's
 * stream_ts), as test/fixtures/linux/conntrack-udp-stream-conntrack-L.txt
 * shows: one query and its answer keep the 30 s timeout and no [ASSURED].
 * Here the flow is flanneld's UDP between the flannel-udp lab's nodes, which
 * conntrack tracks because kube-proxy's rules are on them.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { labEngine } from "../helpers/lab-engine.js";

const linux = readFileSync("test/fixtures/linux/conntrack-udp-stream-conntrack-L.txt", "utf8").split("\n");
const udpLines = (out: string) => out.split("\n").filter((l) => l.startsWith("udp "));

describe("conntrack: a UDP stream", () => {
  it("one crossing through flanneld: the flow has its answer, yet no [ASSURED] and the 30 s timeout; a crossing three seconds later makes it a stream", () => {
    expect(linux[2]).toMatch(/^udp {6}17 29 .* sport=5353 dport=40000 mark=0 use=1$/);
    expect(linux[5]).toMatch(/^udp {6}17 119 .* \[ASSURED\] mark=0 use=1$/);
    const e = labEngine("flannel-udp");
    e.run({ host: "node1", namespace: "c1", command: "ping -c 1 10.244.2.2" });
    expect(udpLines(e.run({ host: "node1", command: "conntrack -L" }).output)).toEqual([
      "udp      17 29 src=10.168.0.2 dst=10.168.0.3 sport=8285 dport=8285 src=10.168.0.3 dst=10.168.0.2 sport=8285 dport=8285 mark=0 use=1",
    ]);
    e.run({ host: "node1", command: "sleep 3" });
    e.run({ host: "node1", namespace: "c1", command: "ping -c 1 10.244.2.2" });
    expect(udpLines(e.run({ host: "node2", command: "conntrack -L" }).output)).toEqual([
      "udp      17 119 src=10.168.0.2 dst=10.168.0.3 sport=8285 dport=8285 src=10.168.0.3 dst=10.168.0.2 sport=8285 dport=8285 [ASSURED] mark=0 use=1",
    ]);
  });
});
