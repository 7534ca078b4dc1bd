/**
 * TCP segments as Linux sends them, held against curl → HTTP server captured
 * on the server's eth0 (test/fixtures/linux/capture-curl-nginx-2-eth0.pcap):
 * SYN and SYN-ACK with MSS, SACK permitted, timestamps and window scale (60
 * bytes of IP), every later segment with timestamps (52 bytes for a bare
 * ACK), and the server's quick ACK of the request before its answer.
 */
import { describe, expect, it } from "vitest";
import type { DecodedFrame, TcpLayer } from "../../../server/engine/wire/packet.js";
import { labEngine } from "../helpers/lab-engine.js";
import { frameRecorder, headerLines, linuxCapture } from "../helpers/linux-capture.js";
import { linuxFixture } from "../helpers/linux-fixtures.js";

const tcpLines = (lines: string[]) => lines.filter((l) => l.includes("| tcp "));

function curlOnce() {
  const rec = frameRecorder();
  const engine = labEngine("bridge-two-containers", { capture: rec.capture });
  const r = engine.run({ host: "node1", namespace: "nginx-1", command: "curl -s http://172.17.0.3/index.html" });
  expect(r.exitCode).toBe(0);
  return { engine, frames: rec.frames("nginx-2/eth0").filter((f) => f.some((l) => l.kind === "tcp")) };
}

describe("TCP segments as Linux sends them", () => {
  it("handshake, request and the server's quick ACK are Linux's frame for frame", () => {
    const linux = tcpLines(headerLines(linuxCapture("capture-curl-nginx-2-eth0")));
    expect(linux[0]).toContain("len 60 | tcp client > 80 [syn] win 64240 <mss 1460,sack-permitted,TS,nop,wscale 7>");
    expect(linux[2]).toContain("len 52 | tcp client > 80 [ack] win 502 <nop,nop,TS> data 0");
    // The SYN-ACK leaves from the listener's request socket with IP id 0 (ip_build_and_send_pkt); the client's SYN has its socket's id.
    expect(linux[1]).toContain("ip 172.17.0.3 > 172.17.0.2 id 0 tos 0x0 ttl 64 DF len 60 | tcp 80 > client [syn|ack]");
    expect(linux[0]).not.toContain(" id 0 ");
    const sim = headerLines(curlOnce().frames);
    // SYN, SYN-ACK, ACK, GET (curl's request is the same 84 bytes), the server's ACK of it.
    expect(sim.slice(0, 5)).toEqual(linux.slice(0, 5));
  });

  it("the answer and the close: 52 bytes plus data, the client's window 501 once data arrived, a FIN carrying the ACK", () => {
    const sim = headerLines(curlOnce().frames).slice(5);
    expect(sim.map((l) => l.replace(/ len \d+ /, " ").replace(/data \d+$/, "data N").split(" | ").slice(1).join(" | "))).toEqual([
      "ip 172.17.0.3 > 172.17.0.2 tos 0x0 ttl 64 DF | tcp 80 > client [psh|ack] win 509 <nop,nop,TS> data N",
      "ip 172.17.0.2 > 172.17.0.3 tos 0x0 ttl 64 DF | tcp client > 80 [ack] win 501 <nop,nop,TS> data N",
      "ip 172.17.0.2 > 172.17.0.3 tos 0x0 ttl 64 DF | tcp client > 80 [fin|ack] win 501 <nop,nop,TS> data N",
      "ip 172.17.0.3 > 172.17.0.2 tos 0x0 ttl 64 DF | tcp 80 > client [fin|ack] win 509 <nop,nop,TS> data N",
      "ip 172.17.0.2 > 172.17.0.3 tos 0x0 ttl 64 DF | tcp client > 80 [ack] win 501 <nop,nop,TS> data N",
    ]);
    // The same shapes close Linux's exchange where the client closes first (the DELAY capture's curl).
    const linux = tcpLines(headerLines(linuxCapture("capture-curl-nginx-2-eth0")));
    expect(linux.slice(6).every((l) => l.includes("<nop,nop,TS>") && / len (52|\d{2,3}) /.test(l))).toBe(true);
  });

  it("a short answer (125 bytes, less than the window's scale unit of 128) leaves the client's window at 502 to the end, as in Linux's capture", () => {
    const outside: DecodedFrame[] = [];
    const engine = labEngine("service-nodeport", { capture: (dev, frame) => void (dev.ns.host === "outside" && dev.name === "eth0" && outside.push(frame.layers)) });
    expect(engine.run({ host: "outside", command: "curl -s http://10.168.0.2:30080/" }).exitCode).toBe(0);
    // Each segment as flags, window and payload length; the request's length is the Host header's (the address differs).
    const shape = (frames: readonly DecodedFrame[]) =>
      frames
        .flatMap((f) => f.filter((l): l is TcpLayer => l.kind === "tcp"))
        .map((t) => `${(["syn", "fin", "psh", "ack"] as const).filter((x) => t.flags[x]).join("|")} win ${t.window} data ${t.window === 502 && t.payloadLength > 0 ? "request" : t.payloadLength}`);
    const linux = shape(linuxCapture("capture-curl-short-answer-c1-eth0"));
    expect(linux).toContain("psh|ack win 509 data 125");
    expect(shape(outside)).toEqual(linux);
  });

  it("timestamps: TSval never goes back, TSecr echoes the peer's last TSval (0 on the SYN)", () => {
    const tcp = curlOnce().frames.map((f) => f.find((l): l is TcpLayer => l.kind === "tcp")!);
    const last = { client: 0, server: 0 };
    for (const t of tcp) {
      const o = t.options.find((x) => x.kind === "timestamps");
      if (o?.kind !== "timestamps") throw new Error(`no timestamps on ${JSON.stringify(t)}`);
      const [from, to] = t.dstPort === 80 ? (["client", "server"] as const) : (["server", "client"] as const);
      expect(o.echo).toBe(last[to]);
      if (last[from] !== 0) expect(o.value).toBeGreaterThanOrEqual(last[from]);
      last[from] = o.value;
    }
  });

  it("iptables counts what Linux's segments weigh: the client's six segments 404 bytes", () => {
    const engine = labEngine("bridge-two-containers");
    const inNginx2 = (command: string) => engine.run({ host: "node1", namespace: "nginx-2", command });
    inNginx2("iptables -A INPUT -p tcp --dport 80");
    engine.run({ host: "node1", namespace: "nginx-1", command: "curl -s http://172.17.0.3/index.html" });
    // SYN 60, ACK 52, GET 136 (as captured), ACK of the answer, FIN and last ACK 52 each.
    expect(inNginx2("iptables-save -c").output).toContain("\n[6:404] -A INPUT -p tcp -m tcp --dport 80\n");
  });
});

describe("SYN retransmission (tcp_syn_linear_timeouts)", () => {
  /** Times, the ephemeral port, the sequence number, the TS value and the window scale (Linux's tcp_rmem) vary between runs. */
  const masked = (text: string) =>
    text
      .replace(/^\d\d:\d\d:\d\d\.\d{6} /gm, "T ")
      .replace(/172\.17\.0\.2\.\d+ >/g, "172.17.0.2.PORT >")
      .replace(/seq \d+/g, "seq N")
      .replace(/TS val \d+/g, "TS val N")
      .replace(/wscale \d+/g, "wscale W")
      .replace(/after \d+ ms/g, "after X ms");

  it("a connect that gets no answer retransmits its SYN a second apart, so curl --connect-timeout 5 sends five SYNs, as on Linux", () => {
    const engine = labEngine("bridge-two-containers");
    expect(engine.run({ host: "node1", namespace: "nginx-2", command: "iptables -A INPUT -p tcp --dport 80 -j DROP" }).exitCode).toBe(0);
    expect(engine.run({ host: "node1", namespace: "nginx-1", command: "ping -c 1 172.17.0.3" }).exitCode).toBe(0);
    const curl = engine.run({ host: "node1", namespace: "nginx-1", command: "curl -sS --connect-timeout 5 http://172.17.0.3/" });
    const real = linuxFixture("syn-linear-curl-connect-timeout-5");
    expect([masked(curl.output), curl.exitCode]).toEqual([masked(real.text), real.exit]);
    const capture = engine.run({ host: "node1", namespace: "nginx-1", command: "tcpdump -i eth0 -n tcp" });
    expect(masked(capture.output)).toBe(masked(linuxFixture("syn-linear-tcpdump-eth0-n-tcp").text));
    // One second apart: the fifth SYN at 4 s, the sixth would be at 5 s, after curl's timeout.
    const sent = curl.events.filter((e) => e.kind === "frame-tx" && e.namespace === "nginx-1" && e.summary.includes("Flags [S]")).map((e) => e.time - curl.events[0]!.time);
    expect(sent).toEqual([0, 1_000_000, 2_000_000, 3_000_000, 4_000_000]);
  });

  it("then doubles its RTO, and gives up after ten retransmissions: ETIMEDOUT 131 s after connect()", () => {
    const engine = labEngine("bridge-two-containers");
    expect(engine.run({ host: "node1", namespace: "nginx-2", command: "iptables -A INPUT -p tcp --dport 80 -j DROP" }).exitCode).toBe(0);
    expect(engine.run({ host: "node1", namespace: "nginx-1", command: "ping -c 1 172.17.0.3" }).exitCode).toBe(0);
    const curl = engine.run({ host: "node1", namespace: "nginx-1", command: "curl -sS http://172.17.0.3/" });
    const start = curl.events[0]!.time;
    const sent = curl.events.filter((e) => e.kind === "frame-tx" && e.namespace === "nginx-1" && e.summary.includes("Flags [S]")).map((e) => (e.time - start) / 1_000_000);
    expect(sent).toEqual([0, 1, 2, 3, 4, 5, 7, 11, 19, 35, 67]);
    expect(curl.output).toContain("Failed to connect to 172.17.0.3 port 80 after 131000 ms: Couldn't connect to server");
    // curl 7.88 exits 28 (a timeout) when the kernel gives up on the SYNs, 7 only when the connect is refused or unreachable.
    expect(curl.exitCode).toBe(28);
  });
});
