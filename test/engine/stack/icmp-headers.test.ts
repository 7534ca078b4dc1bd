/**
 * ICMP's IP headers as Linux writes them, held against captures from Linux
 * (test/fixtures/linux/capture-*.pcap): an echo request with DF set (ping's
 * socket discovers path MTU), its reply with DF clear (the kernel's ICMP
 * socket does not), and the host unreachable a sender's kernel loops back
 * when ARP fails: TOS 0xc0, DF clear, on lo once.
 */
import { describe, expect, it } from "vitest";
import { chapterTopology } from "../helpers/chapter-topology.js";
import { engineFor, labEngine } from "../helpers/lab-engine.js";
import { frameRecorder, headerLines, linuxCapture } from "../helpers/linux-capture.js";

const ipOnly = (lines: string[]) => lines.filter((l) => l.includes(" | ip "));

describe("ICMP headers as Linux sends them", () => {
  it("nginx-1 pings nginx-2: the echo request has DF set, the reply DF clear, frame for frame as on nginx-1's eth0", () => {
    const rec = frameRecorder();
    const engine = engineFor(chapterTopology(), { capture: rec.capture });
    engine.run({ host: "node1", namespace: "nginx-1", command: "ping -c 1 172.17.0.3" });
    const linux = headerLines(linuxCapture("capture-ping-nginx-1-eth0"));
    expect(linux[3]).toContain("ip 172.17.0.3 > 172.17.0.2 tos 0x0 ttl 64 len 84");
    expect(headerLines(rec.frames("nginx-1/eth0"))).toEqual(linux);
  });

  it("ping -M do: the echo request has DF and IP id 0 (no ignore_df on an unconnected socket), frame for frame as Linux's", () => {
    const rec = frameRecorder();
    const engine = engineFor(chapterTopology(), { capture: rec.capture });
    engine.run({ host: "node1", namespace: "nginx-1", command: "ping -c 1 -M do 172.17.0.3" });
    const linux = headerLines(linuxCapture("capture-ping-M-do-c1-eth0"));
    expect(linux[2]).toContain("ip 172.17.0.2 > 172.17.0.3 id 0 tos 0x0 ttl 64 DF len 84 | icmp echo-request");
    expect(linux[3]).not.toContain(" id 0 ");
    expect(headerLines(rec.frames("nginx-1/eth0"))).toEqual(linux);
  });

  it("ARP for an absent address fails: nginx-1's lo holds one host unreachable, TOS 0xc0 and DF clear", () => {
    const rec = frameRecorder();
    const engine = engineFor(chapterTopology(), { capture: rec.capture });
    engine.run({ host: "node1", namespace: "nginx-1", command: "ping -c 1 -W 5 172.17.0.99" });
    const linux = headerLines(linuxCapture("capture-arp-failed-nginx-1-lo"));
    expect(linux).toEqual([
      "00:00:00:00:00:00 > 00:00:00:00:00:00 | ip 172.17.0.2 > 172.17.0.2 tos 0xc0 ttl 64 len 112 | icmp destination-unreachable 1 len 92",
    ]);
    expect(headerLines(rec.frames("nginx-1/lo"))).toEqual(linux);
  });

  it("an ICMP error keeps the offending packet's TOS bits under precedence 0xc0, as the port unreachable in the UDP capture", () => {
    const linux = ipOnly(headerLines(linuxCapture("capture-udp-nginx-2-eth0")));
    expect(linux[1]).toMatch(/ip 172\.17\.0\.3 > 172\.17\.0\.2 tos 0xc0 ttl 64 len 140 \| icmp destination-unreachable 3/);
  });
});

describe("ICMP inside VXLAN", () => {
  it("flannel-vxlan: the echo reply wrapped on the nodes' eth0 has DF clear in its inner header, the request DF set", () => {
    const rec = frameRecorder();
    const engine = labEngine("flannel-vxlan", { capture: rec.capture });
    engine.run({ host: "node1", namespace: "c1", command: "ping -c 1 10.244.2.2" });
    const inner = headerLines(rec.frames("root/eth0")).filter((l) => l.includes("vxlan") && l.includes("icmp echo"));
    const innerIp = inner.map((l) => l.split(" | vxlan 1 | ")[1]!.split(" | ")[1]!);
    expect(innerIp).toEqual(expect.arrayContaining(["ip 10.244.1.2 > 10.244.2.2 tos 0x0 ttl 63 DF len 84", "ip 10.244.2.2 > 10.244.1.2 tos 0x0 ttl 63 len 84"]));
  });
});
