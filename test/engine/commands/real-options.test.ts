/**
 * Real options of sysctl, ss, ip, iptables, curl and conntrack: simulated where cheap (held to
 * test/fixtures/linux), otherwise refused as not simulated; only what the tools lack gets
 * their own "invalid"/"unknown" answer.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { labEngine } from "../helpers/lab-engine.js";

function fixture(name: string): { text: string; exit: number } {
  const raw = readFileSync(`test/fixtures/linux/${name}.txt`, "utf8");
  const m = /# exit (\d+)\n?$/.exec(raw)!;
  return { text: raw.slice(0, m.index), exit: Number(m[1]) };
}

const run = (command: string, namespace = "nginx-1") => labEngine("bridge-two-containers").run({ host: "node1", namespace, command });

describe("sysctl -n, -N, -q, -e as procps prints them", () => {
  it("reads: values only, names only, unknown keys skipped", () => {
    for (const [cmd, file] of [
      ["sysctl -n net.ipv4.ip_forward", "pair-sysctl-n-net-ipv4-ip-forward"],
      ["sysctl -N net.ipv4.ip_forward", "pair-sysctl-N-net-ipv4-ip-forward"],
    ] as const) {
      const f = fixture(file);
      expect(run(cmd)).toMatchObject({ output: f.text, exitCode: f.exit });
    }
  });
  it("writes: -q prints nothing, -n the value; -e skips a key that does not exist", () => {
    const engine = labEngine("bridge-two-containers");
    const inNs = (command: string) => engine.run({ host: "node1", namespace: "nginx-1", command });
    const quiet = fixture("pair-sysctl-q-w-net-ipv4-ip-forward-1");
    expect(inNs("sysctl -q -w net.ipv4.ip_forward=1")).toMatchObject({ output: quiet.text, exitCode: quiet.exit });
    const skip = fixture("pair-sysctl-e-net-ipv4-nosuch-net-ipv4-ip-forward");
    expect(inNs("sysctl -e net.ipv4.nosuch net.ipv4.ip_forward")).toMatchObject({ output: skip.text, exitCode: skip.exit });
    const values = fixture("pair-sysctl-wn-net-ipv4-ip-forward-0");
    expect(inNs("sysctl -wn net.ipv4.ip_forward=0")).toMatchObject({ output: values.text, exitCode: values.exit });
  });
  it("procps' other options are not simulated; letters it lacks stay invalid", () => {
    expect(run("sysctl -p")).toMatchObject({ output: "sysctl -p: not simulated in cnlab\n", exitCode: 1 });
    expect(run("sysctl --system")).toMatchObject({ output: "sysctl --system: not simulated in cnlab\n", exitCode: 1 });
    expect(run("sysctl -Z").output).toMatch(/^sysctl: invalid option -- 'Z'\n/);
  });
});

describe("not simulated, not invalid", () => {
  for (const [cmd, what, namespace] of [
    ["ss --unix", "ss --unix", "nginx-1"],
    ["ss -T", "ss -T", "nginx-1"],
    ["ip -h -s link", "ip -human-readable -statistics", "nginx-1"],
    ["iptables -t mangle -L", "iptables -t mangle", "root"],
    ["iptables -A INPUT -m multiport --dports 80,443 -j ACCEPT", "iptables -m multiport", "root"],
    ["iptables -A INPUT -p tcp --dport 80 -j REJECT --reject-with tcp-reset", "iptables -j REJECT --reject-with tcp-reset", "root"],
    ["iptables -A INPUT -p sctp -j ACCEPT", "iptables -p sctp", "root"],
    ["iptables -A INPUT -p tcp --syn -j ACCEPT", "iptables -p tcp --syn", "root"],
    ["iptables -A INPUT -m addrtype --dst-type BROADCAST -j DROP", "iptables -m addrtype --dst-type BROADCAST", "root"],
    ["iptables -w -L", "iptables -w", "root"],
    ["curl -L http://172.17.0.3/", "curl -L", "nginx-1"],
    ["curl -sL http://172.17.0.3/", "curl -L", "nginx-1"],
    ["curl --data x=1 http://172.17.0.3/", "curl --data", "nginx-1"],
    ["conntrack -F", "conntrack -F", "root"],
    ["conntrack -L expect", "conntrack -L expect", "root"],
    ["conntrack -L -p sctp", "conntrack -p sctp", "root"],
  ] as const) {
    it(`${cmd}: says so`, () => {
      const r = run(cmd, namespace);
      expect(r.output).toBe(`${what}: not simulated in cnlab\n`);
      expect(r.exitCode).toBe(1);
    });
  }
});

describe("what the tools lack keeps their own error", () => {
  it("ip -h is -human-readable, not -help: without -s the output is the usual one", () => {
    expect(run("ip -h addr show dev eth0").output).toBe(run("ip addr show dev eth0").output);
  });
  it("iptables: an address type addrtype lacks", () => {
    const f = fixture("iptables-addrtype-bad-type");
    expect(run("iptables -A INPUT -m addrtype --dst-type FOO -j ACCEPT", "root")).toMatchObject({ output: f.text, exitCode: f.exit });
  });
  it("conntrack: an option it lacks, a table it lacks", () => {
    for (const [cmd, file] of [
      ["conntrack -Q", "conntrack-Q"],
      ["conntrack -L foo", "conntrack-L-foo"],
    ] as const) {
      const f = fixture(file);
      expect(run(cmd, "root")).toMatchObject({ output: f.text, exitCode: f.exit });
    }
  });
  it("curl: a short option in a group that curl lacks names the whole word", () => {
    expect(run("curl -sW http://172.17.0.3/")).toMatchObject({ output: "curl: option -sW: is unknown\ncurl: try 'curl --help' or 'curl --manual' for more information\n", exitCode: 2 });
    expect(run("curl --foo http://172.17.0.3/").exitCode).toBe(2);
  });
});
