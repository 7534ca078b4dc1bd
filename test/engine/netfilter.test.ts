/**
 * Netfilter as Docker uses it (the chapter's 32.02 and published ports):
 * MASQUERADE for containers reaching another host, DNAT for -p, conntrack
 * translating replies, and iptables/conntrack printing as the real tools do.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { TraceEvent } from "../../server/engine/trace/trace-event.js";
import { engineFor } from "./helpers/lab-engine.js";
import { twoHosts } from "./helpers/two-hosts.js";

function fixture(name: string): { text: string; exit: number | null } {
  const raw = readFileSync(`test/fixtures/linux/${name}.txt`, "utf8");
  const m = /# exit (\d+)\n?$/.exec(raw);
  return m === null ? { text: raw, exit: null } : { text: raw.slice(0, m.index), exit: Number(m[1]) };
}

const kinds = (events: TraceEvent[], ...k: TraceEvent["kind"][]) => events.filter((e) => k.includes(e.kind));

describe("Docker's iptables rules", () => {
  const engine = engineFor(twoHosts(["8080:80"]));
  it("nat table lists exactly as iptables -t nat -L -n -v does", () => {
    const r = engine.run({ host: "node1", command: "iptables -t nat -L -n -v" });
    expect(r.output).toBe(fixture("iptables-nat-L-n-v").text);
    expect(r.exitCode).toBe(0);
  });
  it("-S, -L -n and the filter table match too", () => {
    expect(engine.run({ host: "node1", command: "iptables -t nat -S" }).output).toBe(fixture("iptables-nat-S").text);
    expect(engine.run({ host: "node1", command: "iptables -t nat -L -n" }).output).toBe(fixture("iptables-nat-L-n").text);
    expect(engine.run({ host: "node1", command: "iptables -S" }).output).toBe(fixture("iptables-filter-S").text);
    expect(engine.run({ host: "node1", command: "iptables -L -n -v" }).output).toBe(fixture("iptables-filter-L-n-v").text);
    expect(engine.run({ host: "node1", command: "iptables -t nat -L POSTROUTING -n -v --line-numbers" }).output).toBe(fixture("iptables-nat-postrouting-line-numbers").text);
  });
  it("errors as iptables prints them, changing nothing", () => {
    const before = engine.run({ host: "node1", command: "iptables -t nat -S" }).output;
    for (const [cmd, file] of [
      ["iptables -t nat -D POSTROUTING -s 10.0.0.0/8 -j MASQUERADE", "iptables-del-missing"],
      ["iptables -t foo -L", "iptables-bad-table"],
      ["iptables -t nat -L NOSUCH", "iptables-bad-chain"],
      ["iptables -t nat -A POSTROUTING -j NOSUCHTARGET", "iptables-bad-target"],
    ] as const) {
      const f = fixture(file);
      const r = engine.run({ host: "node1", command: cmd });
      expect(r.output, cmd).toBe(f.text);
      expect(r.exitCode, cmd).toBe(f.exit);
    }
    expect(engine.run({ host: "node1", command: "iptables -t nat -S" }).output).toBe(before);
  });
});

describe("a container reaches another host (32.02)", () => {
  it("node1 forwards from docker0 to eth0, MASQUERADE rewrites the source, conntrack un-NATs the reply", () => {
    const engine = engineFor(twoHosts());
    const r = engine.run({ host: "node1", namespace: "nginx-1", command: "ping -c 1 10.168.0.3" });
    expect(r.exitCode).toBe(0);
    expect(r.output).toContain("64 bytes from 10.168.0.3: icmp_seq=1 ttl=63");
    const nat = kinds(r.events, "nat");
    expect(nat.map((e) => (e.kind === "nat" ? `${e.host} ${e.type} ${e.from}->${e.to}` : ""))).toEqual(["node1 MASQUERADE 172.17.0.2->10.168.0.2", "node1 un-SNAT 10.168.0.2->172.17.0.2"]);
    const rule = r.events.find((e) => e.kind === "netfilter" && e.chain === "POSTROUTING");
    expect(rule).toMatchObject({ host: "node1", table: "nat", rule: "-A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE" });
    // node2 sees node1's address, never the container's.
    const atNode2 = r.events.filter((e) => e.host === "node2" && e.kind === "ip-local");
    expect(atNode2.length).toBeGreaterThan(0);
    for (const e of atNode2) expect(e.summary).toContain("from 10.168.0.2");
    const ct = engine.run({ host: "node1", command: "conntrack -L" });
    expect(ct.output).toMatch(/^icmp {5}1 29 src=172\.17\.0\.2 dst=10\.168\.0\.3 type=8 code=0 id=\d+ src=10\.168\.0\.3 dst=10\.168\.0\.2 type=0 code=0 id=\d+ mark=0 use=1\nconntrack v1\.4\.7 \(conntrack-tools\): 1 flow entries have been shown\.\n$/);
  });

  it("without Docker's MASQUERADE rule, the reply goes to 172.17.0.2 on node2's own docker0 and never comes back", () => {
    const engine = engineFor(twoHosts());
    engine.run({ host: "node1", command: "iptables -t nat -F POSTROUTING" });
    const r = engine.run({ host: "node1", namespace: "nginx-1", command: "ping -c 1 -W 1 10.168.0.3" });
    expect(r.exitCode).toBe(1);
    expect(r.events.some((e) => e.host === "node2" && e.kind === "route-lookup" && e.kind === "route-lookup" && e.outDevice === "docker0")).toBe(true);
  });
});

describe("published ports: docker run -p 8080:80", () => {
  it("node2 reaches nginx-1 through node1:8080: DNAT on the way in, un-DNAT on the way out", () => {
    const engine = engineFor(twoHosts(["8080:80"]));
    const r = engine.run({ host: "node2", command: "curl http://10.168.0.2:8080/" });
    expect(r.exitCode).toBe(0);
    expect(r.output).toContain("Welcome to nginx!");
    const nat = kinds(r.events, "nat").filter((e) => e.host === "node1");
    expect(nat[0]).toMatchObject({ type: "DNAT", from: "10.168.0.2:8080", to: "172.17.0.2:80" });
    expect(nat.some((e) => e.kind === "nat" && e.type === "un-DNAT" && e.from === "172.17.0.2:80" && e.to === "10.168.0.2:8080")).toBe(true);
    const ct = engine.run({ host: "node1", command: "conntrack -L -p tcp" }).output;
    expect(ct).toMatch(/^tcp {6}6 \d+ TIME_WAIT src=10\.168\.0\.3 dst=10\.168\.0\.2 sport=\d+ dport=8080 src=172\.17\.0\.2 dst=10\.168\.0\.3 sport=80 dport=\d+ \[ASSURED\] mark=0 use=1\n/);
  });

  it("docker run -p publishes, shows in docker ps, refuses a taken port, and docker rm takes the rules away", () => {
    const engine = engineFor(twoHosts());
    const web = engine.run({ host: "node1", command: "docker run -d -p 9090:80 --name web nginx" });
    expect(web.exitCode).toBe(0);
    expect(engine.run({ host: "node1", command: "docker ps" }).output).toMatch(/0\.0\.0\.0:9090->80\/tcp\s+web\n/);
    expect(engine.run({ host: "node1", command: "iptables -t nat -S DOCKER" }).output).toContain("-A DOCKER ! -i docker0 -p tcp -m tcp --dport 9090 -j DNAT --to-destination 172.17.0.3:80");
    const again = engine.run({ host: "node1", command: "docker run -d -p 9090:80 --name web2 nginx" });
    expect(again.exitCode).toBe(125);
    expect(again.output).toContain("Bind for 0.0.0.0:9090 failed: port is already allocated");
    expect(engine.run({ host: "node2", command: "curl -s http://10.168.0.2:9090/" }).exitCode).toBe(0);
    engine.run({ host: "node1", command: "docker rm -f web" });
    expect(engine.run({ host: "node1", command: "iptables -t nat -S DOCKER" }).output).not.toContain("9090");
    expect(engine.run({ host: "node2", command: "curl -s --connect-timeout 1 http://10.168.0.2:9090/" }).exitCode).toBe(7);
  });

  it("a FORWARD policy DROP without Docker's rules stops forwarded traffic, with the policy in the trace", () => {
    const engine = engineFor(twoHosts());
    engine.run({ host: "node1", command: "iptables -F FORWARD" });
    const r = engine.run({ host: "node1", namespace: "nginx-1", command: "ping -c 1 -W 1 10.168.0.3" });
    expect(r.exitCode).toBe(1);
    expect(r.events.find((e) => e.kind === "netfilter" && e.rule === "policy DROP")).toMatchObject({ host: "node1", chain: "FORWARD" });
    expect(r.events.some((e) => e.kind === "drop" && e.reason === "netfilter")).toBe(true);
  });
});
