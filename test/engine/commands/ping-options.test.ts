/**
 * ping's options as iputils 20221126 reads them (test/fixtures/linux/pair-ping-*, taken on
 * a veth pair 10.99.0.1 <-> 10.99.0.2), the statistics block as iputils computes it, and
 * the real options cnlab refuses as not simulated rather than as invalid.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parsePingOptions } from "../../../server/engine/commands/ping-options.js";
import { pingStatistics, type PingTally } from "../../../server/engine/commands/ping-statistics.js";
import { labEngine } from "../helpers/lab-engine.js";

function fixture(name: string): { text: string; exit: number } {
  const raw = readFileSync(`test/fixtures/linux/${name}.txt`, "utf8");
  const m = /# exit (\d+)\n?$/.exec(raw)!;
  return { text: raw.slice(0, m.index), exit: Number(m[1]) };
}

const run = (command: string) => labEngine("bridge-two-containers").run({ host: "node1", namespace: "nginx-1", command });

describe("ping reads its options as iputils does", () => {
  // The pair's 10.99.0.2 is nginx-2's 172.17.0.3 here; none of these outputs depends on the network.
  for (const [cmd, file] of [
    ["ping -H 172.17.0.3", "pair-ping-H-10-99-0-2"],
    ["ping -h", "pair-ping-h"],
    ["ping --help", "pair-ping-help"],
    ["ping -c", "pair-ping-c"],
    ["ping -V", "pair-ping-V"],
    ["ping -c 1 -i '' 172.17.0.3", "pair-ping-c-1-i-empty-10-99-0-2"],
    ["ping -c 1 -i 3000000 172.17.0.3", "pair-ping-c-1-i-3000000-10-99-0-2"],
    ["ping -c 1 -i 1e400 172.17.0.3", "pair-ping-c-1-i-1e400-10-99-0-2"],
    ["ping -c 1 -i nan 172.17.0.3", "pair-ping-c-1-i-nan-10-99-0-2"],
    ["ping -c 1 -W -1 172.17.0.3", "pair-ping-c-1-W-minus-1-10-99-0-2"],
    ["ping -c 1 -w 99999999999 172.17.0.3", "pair-ping-c-1-w-99999999999-10-99-0-2"],
    ["ping -c 99999999999999999999 172.17.0.3", "pair-ping-c-99999999999999999999-10-99-0-2"],
    ["ping -c 1 -e 70000 172.17.0.3", "pair-ping-c-1-e-70000-10-99-0-2"],
    ["ping -c 1 -e -1 172.17.0.3", "pair-ping-c-1-e-minus-1-10-99-0-2"],
    ["ping -c 1 -l 70000 172.17.0.3", "pair-ping-c-1-l-70000-10-99-0-2"],
    ["ping -4 -6 172.17.0.3", "pair-ping-4-6-10-99-0-2"],
    ["ping -c 1 -T foo 172.17.0.3", "pair-ping-c-1-T-foo-10-99-0-2"],
    ["ping -c 1 -R -T tsonly 172.17.0.3", "pair-ping-c-1-R-T-tsonly-10-99-0-2"],
    ["ping -c 1 -Q 300 172.17.0.3", "pair-ping-c-1-Q-300-10-99-0-2"],
    ["ping -c 1 -p xyz 172.17.0.3", "pair-ping-c-1-p-xyz-10-99-0-2"],
  ] as const) {
    it(`${cmd}: iputils' own text and exit code`, () => {
      const f = fixture(file);
      const r = run(cmd);
      expect(r.output).toBe(f.text);
      expect(r.exitCode).toBe(f.exit);
    });
  }
  it("ping -6 with an IPv4 address: getaddrinfo's refusal, as iputils prints it", () => {
    const f = fixture("pair-ping-c-1-6-10-99-0-2");
    const r = run("ping -c 1 -6 172.17.0.3");
    expect(r.output).toBe(f.text.replaceAll("10.99.0.2", "172.17.0.3"));
    expect(r.exitCode).toBe(f.exit);
  });
  it("-i 0 is taken, as iputils takes it from root: five probes, five replies", () => {
    expect(parsePingOptions(["-i", "0", "x"]).interval).toBe(0);
    const r = run("ping -c 5 -i 0 172.17.0.3");
    expect(r.exitCode).toBe(0);
    expect(r.output).toContain("5 packets transmitted, 5 received, 0% packet loss");
  });
  it("intervals keep whole milliseconds, as iputils' (int)(seconds * 1000)", () => {
    expect(parsePingOptions(["-i", "0.0015", "x"]).interval).toBe(0.001);
    // Below a millisecond is no interval at all: the capture ends in ipg/ewma, which iputils prints only then.
    expect(parsePingOptions(["-i", "0.0001", "x"]).interval).toBe(0);
    expect(fixture("pair-ping-c-3-i-0-0001-10-99-0-2").text).toContain(", ipg/ewma ");
    expect(fixture("pair-ping-c-3-i-0-0015-10-99-0-2").text).not.toContain("ipg/ewma");
    expect(parsePingOptions(["-i", "0x10", "x"]).interval).toBe(16);
    expect(parsePingOptions(["-W", "1.2345", "x"]).timeout).toBe(1.234);
  });
  it("garbage after a number only warns (iputils 20221126): -i abc is an interval of 0", () => {
    const f = fixture("pair-ping-c-1-i-abc-10-99-0-2");
    const o = parsePingOptions(["-c", "1", "-i", "abc", "x"]);
    expect(o.interval).toBe(0);
    expect(o.warnings).toEqual(f.text.split("\n").slice(0, 2));
    expect(parsePingOptions(["-W", "abc", "x"])).toMatchObject({ timeout: 0, warnings: o.warnings });
  });
  it("grouped flags, attached values and options after the destination, as getopt reads them", () => {
    expect(parsePingOptions(["-qnc", "2", "x"])).toMatchObject({ quiet: true, count: 2, target: "x" });
    expect(parsePingOptions(["-qnc2", "x", "-t", "5"])).toMatchObject({ quiet: true, count: 2, ttl: 5 });
    expect(parsePingOptions(["-c", "1", "--", "x"])).toMatchObject({ count: 1, target: "x" });
    const f = fixture("pair-ping-qnc-2-10-99-0-2");
    expect(f.text.split("\n")[1]).toBe("");
    expect(run("ping -qnc 2 172.17.0.3").output.split("\n")[1]).toBe("");
  });
  it("-a asks for iputils' bell after each reply", () => {
    expect(parsePingOptions(["-a", "x"]).audible).toBe(true);
    expect(fixture("pair-ping-c-1-a-10-99-0-2").text).toContain("ms\x07\n");
  });
  it("options that change nothing the simulator shows are taken", () => {
    const r = run("ping -4 -n -B -C -d -L -U -S 1000 -l 1 -c 1 172.17.0.3");
    expect(r.exitCode).toBe(0);
    expect(r.output).toContain("1 packets transmitted, 1 received");
  });
});

describe("real ping options cnlab does not simulate", () => {
  for (const [cmd, what] of [
    ["ping -f 172.17.0.3", "ping -f"],
    ["ping -b 172.17.255.255", "ping -b"],
    ["ping -c 2 -A 172.17.0.3", "ping -A"],
    ["ping -D 172.17.0.3", "ping -D"],
    ["ping -O 172.17.0.3", "ping -O"],
    ["ping -v 172.17.0.3", "ping -v"],
    ["ping -I eth0 172.17.0.3", "ping -I"],
    ["ping -r 172.17.0.3", "ping -r"],
    ["ping -R 172.17.0.3", "ping -R"],
    ["ping -T tsonly 172.17.0.3", "ping -T"],
    ["ping -e 7 172.17.0.3", "ping -e"],
    ["ping -m 1 172.17.0.3", "ping -m"],
    ["ping -Q 0x10 172.17.0.3", "ping -Q"],
    ["ping -p ff 172.17.0.3", "ping -p"],
    ["ping -l 3 172.17.0.3", "ping -l 3"],
    ["ping -F 1 172.17.0.3", "ping -F"],
    ["ping -6 localhost", "ping -6"],
    ["ping -c 3 -i -1 172.17.0.3", "ping -i -1"],
  ] as const) {
    it(`${cmd}: says so, sends nothing`, () => {
      const r = run(cmd);
      expect(r.output).toBe(`${what}: not simulated in cnlab\n`);
      expect(r.exitCode).toBe(1);
      expect(r.events.some((e) => e.kind === "frame-tx")).toBe(false);
    });
  }
  it("a real mistake elsewhere on the line still gets iputils' own error", () => {
    expect(run("ping -f -c abc 172.17.0.3")).toMatchObject({ output: "ping: invalid argument: 'abc'\n", exitCode: 1 });
    expect(run("ping -f")).toMatchObject({ output: "ping: usage error: Destination address required\n", exitCode: 1 });
    expect(run("ping -f -H 172.17.0.3").output).toMatch(/^ping: invalid option -- 'H'\n\nUsage\n/);
  });
});

describe("the statistics block, computed as iputils computes it", () => {
  const tally = (t: Partial<PingTally>): PingTally => ({ target: "10.99.0.2", transmitted: 0, received: 0, duplicates: 0, errors: 0, elapsed: 0, rtts: [], pipe: 0, intervalMs: 1000, timing: true, ...t });
  /** A capture's block: its lines from the empty one before "---". */
  const block = (file: string) => {
    const lines = fixture(file).text.split("\n");
    return lines.slice(lines.indexOf(""), -1);
  };
  it("-i 0: mean, deviation, and the gap between probes with the smoothed round trip (ipg/ewma)", () => {
    // The capture's round trips; 336 µs from first to last probe gives its ipg of 0.084 ms.
    expect(pingStatistics(tally({ transmitted: 5, received: 5, elapsed: 336, rtts: [79, 14, 8, 8, 7], intervalMs: 0 }))).toEqual(block("pair-ping-c-5-i-0-10-99-0-2"));
    expect(pingStatistics(tally({ transmitted: 3, received: 3, elapsed: 196, rtts: [52, 13, 7], intervalMs: 0 }))).toEqual(block("pair-ping-c-3-i-0-0001-10-99-0-2"));
  });
  it("a one-millisecond interval has no ipg/ewma; a negative one (root) neither, with every probe outstanding", () => {
    expect(pingStatistics(tally({ transmitted: 3, received: 3, elapsed: 6000, rtts: [37, 17, 23], intervalMs: 1 }))).toEqual(block("pair-ping-c-3-i-0-0015-10-99-0-2"));
    expect(pingStatistics(tally({ transmitted: 3, received: 3, elapsed: 0, rtts: [43, 7, 7], pipe: 3, intervalMs: -1000 }))).toEqual(block("pair-ping-c-3-i-minus-1-10-99-0-2"));
  });
  it("the loss is a C float through %g, not a rounded integer", () => {
    expect(pingStatistics(tally({ transmitted: 3, received: 2, elapsed: 412_000, rtts: [65, 59], intervalMs: 200 }))).toEqual(block("pair-ping-c-3-i-0-2-10-99-0-2-one-dropped"));
  });
  it("no answer but errors: +N errors, the pipe, and no ipg/ewma without a reply", () => {
    expect(pingStatistics(tally({ target: "10.99.0.3", transmitted: 5, errors: 5, elapsed: 72_000, pipe: 5, intervalMs: 0 }))).toEqual(block("pair-ping-c-5-i-0-10-99-0-3"));
  });
});
