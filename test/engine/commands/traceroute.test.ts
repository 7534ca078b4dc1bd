// traceroute: real TTL-expired hops from the stack's ICMP errors, printed as traceroute 2.1 prints them.
import { describe, expect, it } from "vitest";
import { linuxFixture } from "../helpers/linux-fixtures.js";
import { routedEngine } from "../helpers/routed-topology.js";
import { frameRecorder, headerLines, linuxCapture } from "../helpers/linux-capture.js";

/** Round-trip times differ between a kernel and the virtual clock; everything else is compared. */
const masked = (text: string) => text.replace(/\d+\.\d{3} ms/g, "T ms");

describe("traceroute from nginx-1 across the host and a router", () => {
  it.each([
    ["traceroute -n 10.9.9.9", "traceroute-n-10-9-9-9"],
    ["traceroute -n -U 10.9.9.9", "traceroute-n-U-10-9-9-9"],
    ["traceroute -n -I 10.9.9.9", "traceroute-n-I-10-9-9-9"],
    ["traceroute 10.9.9.9", "traceroute-10-9-9-9"],
    ["traceroute -n -q 1 10.9.9.9", "traceroute-n-q-1-10-9-9-9"],
    ["traceroute -n -m 2 10.9.9.9", "traceroute-n-m-2-10-9-9-9"],
    ["traceroute -n 10.9.9.99", "traceroute-n-10-9-9-99"],
    ["traceroute -n 172.17.0.3", "traceroute-n-172-17-0-3"],
    ["traceroute -n", "traceroute-n-no-host"],
    ["traceroute -n -m 0 10.9.9.9", "traceroute-n-m-0"],
    ["traceroute -n -q 11 10.9.9.9", "traceroute-n-q-11"],
    ["traceroute -n nosuchhost", "traceroute-n-nosuchhost"],
    ["traceroute -n -T 10.9.9.9", "traceroute-n-T-10-9-9-9"],
    ["traceroute -n -T 172.17.0.3", "traceroute-n-T-172-17-0-3"],
    ["traceroute -n -T -p 8080 172.17.0.3", "traceroute-n-T-p-8080-172-17-0-3"],
    ["traceroute -n -T -q 1 -m 4 10.9.9.99", "traceroute-n-T-q-1-m-4-10-9-9-99"],
  ])("%s prints what Linux prints", (command, fixture) => {
    const r = routedEngine().run({ host: "node1", namespace: "nginx-1", command });
    const real = linuxFixture(fixture);
    expect(masked(r.output)).toBe(masked(real.text));
    expect(r.exitCode).toBe(real.exit);
  });

  it("times each hop on the virtual clock: a farther hop takes longer", () => {
    const out = routedEngine().run({ host: "node1", namespace: "nginx-1", command: "traceroute -n -q 1 10.9.9.9" }).output;
    const rtts = [...out.matchAll(/(\d+\.\d{3}) ms/g)].map((m) => Number(m[1]));
    expect(rtts).toHaveLength(3);
    expect(rtts[0]!).toBeLessThan(rtts[1]!);
    expect(rtts[1]!).toBeLessThan(rtts[2]!);
  });

  it("sends UDP probes to ports 33434 and up with TTL 1, 2, 3, and each router answers time exceeded", () => {
    const r = routedEngine().run({ host: "node1", namespace: "nginx-1", command: "traceroute -n -q 1 10.9.9.9" });
    const probes = r.events.filter((e) => e.kind === "frame-tx" && e.namespace === "nginx-1" && e.summary.includes("UDP"));
    expect(probes.map((e) => /> 10\.9\.9\.9\.(\d+)/.exec(e.summary)?.[1])).toEqual(["33434", "33435", "33436"]);
    expect(r.events.filter((e) => e.kind === "icmp-error").map((e) => e.namespace)).toEqual(["root", "router", "far"]);
  });

  it("prints * for a hop that does not answer, after the wait", () => {
    const engine = routedEngine();
    engine.run({ host: "node1", namespace: "router", command: "iptables -A OUTPUT -p icmp -j DROP" });
    const r = engine.run({ host: "node1", namespace: "nginx-1", command: "traceroute -n -q 1 -m 3 -w 1 10.9.9.9" });
    expect(r.output.split("\n").slice(1, 4)).toEqual([expect.stringMatching(/^ 1  172\.17\.0\.1  \d+\.\d{3} ms$/), " 2  *", expect.stringMatching(/^ 3  10\.9\.9\.9  /)]);
  });

  it("-T sends TCP SYNs as Linux's traceroute does: the probe and the time exceeded it gets, header for header as captured", () => {
    const rec = frameRecorder();
    const engine = routedEngine({ capture: rec.capture });
    engine.run({ host: "node1", namespace: "nginx-1", command: "traceroute -n -T -q 1 10.9.9.9" });
    const linux = headerLines(linuxCapture("capture-traceroute-T-c1-eth0")).filter((l) => l.includes(" | ip "));
    expect(linux[0]).toContain("ip 172.17.0.2 > 10.9.9.9 tos 0x0 ttl 1 len 60 | tcp client > 80 [syn] win 5840 <mss 1460,sack-permitted,TS,nop,wscale 2> data 0");
    const sim = headerLines(rec.frames("nginx-1/eth0")).filter((l) => l.includes(" | ip "));
    expect(sim.slice(0, 2)).toEqual(linux.slice(0, 2));
    // The far end's kernel resets the SYN for its closed port 80 (from its control socket: DF, IP id 0); that RST ends the trace.
    const rst = "ip 10.9.9.9 > 172.17.0.2 id 0 tos 0x0 ttl 62 DF len 40 | tcp 80 > client [rst|ack]";
    expect(linux.at(-1)).toContain(rst);
    expect(sim.at(-1)).toContain(rst);
  });

  it("says which options it does not model, and needs a route", () => {
    const engine = routedEngine();
    expect(engine.run({ host: "node1", namespace: "nginx-1", command: "traceroute -n -d 10.9.9.9" })).toMatchObject({ exitCode: 1, output: "traceroute -d: not simulated in cnlab\n" });
    expect(engine.run({ host: "node1", command: "traceroute -n 8.8.8.8" })).toMatchObject({ exitCode: 1, output: "connect: Network is unreachable\ntraceroute to 8.8.8.8 (8.8.8.8), 30 hops max, 60 byte packets\n" });
    expect(engine.run({ host: "node1", namespace: "nginx-1", command: "traceroute -x 10.9.9.9" })).toMatchObject({ exitCode: 2, output: "Bad option `-x' (argc 1)\n" });
  });
});
