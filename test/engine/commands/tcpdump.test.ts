// tcpdump in the terminal: the frames a device saw since the previous command, worded as tcpdump 4.99 prints them.
import { describe, expect, it } from "vitest";
import { chapterTopology } from "../helpers/chapter-topology.js";
import { engineFor } from "../helpers/lab-engine.js";
import { linuxFixture } from "../helpers/linux-fixtures.js";

/** What differs between two runs of the same exchange: the time of day and the IP and ICMP identifiers. */
const masked = (text: string) => text.replace(/^\d\d:\d\d:\d\d\.\d{6} /gm, "T ").replace(/\bid \d+/g, "id N");

function afterPing(): ReturnType<typeof engineFor> {
  const engine = engineFor(chapterTopology());
  engine.run({ host: "node1", namespace: "nginx-1", command: "ping -c 1 172.17.0.3" });
  return engine;
}

describe("tcpdump after nginx-1 pings nginx-2", () => {
  it.each([
    ["tcpdump -i docker0 -n", "tcpdump-docker0-n"],
    ["tcpdump -i docker0 -n -p", "tcpdump-docker0-n-p"],
    ["tcpdump -i docker0 -n -e", "tcpdump-docker0-n-e"],
    ["tcpdump -i docker0 -n -v", "tcpdump-docker0-n-v"],
    ["tcpdump -i docker0 -n -e -v", "tcpdump-docker0-n-e-v"],
    ["tcpdump -i docker0 -n icmp and host 172.17.0.3", "tcpdump-docker0-host-icmp"],
  ])("%s prints what Linux prints", (command, fixture) => {
    const r = afterPing().run({ host: "node1", command });
    const real = linuxFixture(fixture);
    expect(masked(r.output)).toBe(masked(real.text));
    expect(r.exitCode).toBe(real.exit);
  });

  it("-c 2 stops after two frames, without the blank line Ctrl-C leaves", () => {
    const engine = engineFor(chapterTopology());
    engine.run({ host: "node1", namespace: "nginx-1", command: "ping -c 2 172.17.0.3" });
    const r = engine.run({ host: "node1", command: "tcpdump -i docker0 -n -c 2" });
    const real = linuxFixture("tcpdump-docker0-c2");
    // Linux counted what reached the socket before tcpdump exited; here every matching frame of the window.
    expect(masked(r.output).replace(/\d+ packets received/, "R packets received")).toBe(masked(real.text).replace(/\d+ packets received/, "R packets received"));
  });

  it("is promiscuous on a bridge: docker0 shows the unicast ping only without -p", () => {
    const engine = afterPing();
    expect(engine.run({ host: "node1", command: "tcpdump -i docker0 -n" }).output).toContain("ICMP echo reply");
    expect(engine.run({ host: "node1", command: "tcpdump -i docker0 -n -p" }).output).not.toContain("ICMP");
  });

  it("several tcpdumps in a row look at the same command; the next command starts a new window", () => {
    const engine = afterPing();
    const veth = engine.run({ host: "node1", command: "tcpdump -i veth9c02e56 -n -t" }).output;
    expect(veth).toContain("IP 172.17.0.2 > 172.17.0.3: ICMP echo request");
    const eth0 = engine.run({ host: "node1", namespace: "nginx-2", command: "tcpdump -i eth0 -n -t icmp" }).output;
    expect(eth0.split("\n").filter((l) => l.startsWith("IP "))).toEqual([
      expect.stringMatching(/^IP 172\.17\.0\.2 > 172\.17\.0\.3: ICMP echo request, id \d+, seq 1, length 64$/),
      expect.stringMatching(/^IP 172\.17\.0\.3 > 172\.17\.0\.2: ICMP echo reply, id \d+, seq 1, length 64$/),
    ]);
    engine.run({ host: "node1", command: "ip link show" });
    expect(engine.run({ host: "node1", command: "tcpdump -i docker0 -n" }).output).toContain("\n0 packets captured\n");
  });

  it("names the time of day from the virtual clock", () => {
    const engine = engineFor(chapterTopology(), { startTime: (13 * 3600 + 5 * 60 + 7) * 1_000_000 + 250_000 });
    engine.run({ host: "node1", namespace: "nginx-1", command: "ping -c 1 172.17.0.3" });
    expect(engine.run({ host: "node1", command: "tcpdump -i docker0 -n -c 1" }).output).toMatch(/\n13:05:07\.25\d{4} ARP, Request/);
  });

  it("filters with and/or/not, parentheses, src/dst, net, port, arp and the repeated-qualifier shorthand", () => {
    const engine = afterPing();
    const lines = (expr: string) =>
      engine
        .run({ host: "node1", command: `tcpdump -i docker0 -n -t ${expr}` })
        .output.split("\n")
        .filter((l) => l.startsWith("IP ") || l.startsWith("ARP"));
    expect(lines("arp")).toHaveLength(2);
    expect(lines("'not arp'")).toHaveLength(2);
    expect(lines("src host 172.17.0.2")).toEqual([expect.stringContaining("Request who-has"), expect.stringContaining("echo request")]);
    expect(lines("dst 172.17.0.2 and icmp")).toEqual([expect.stringContaining("echo reply")]);
    expect(lines("'icmp and (src 172.17.0.3 or dst 172.17.0.3)'")).toHaveLength(2);
    expect(lines("net 172.17.0.0/16 and not arp")).toHaveLength(2);
    expect(lines("host 10.0.0.1 or 172.17.0.3")).toHaveLength(4);
    expect(lines("tcp or udp")).toHaveLength(0);
    expect(lines("port 80")).toHaveLength(0);
    expect(lines("ether src 02:42:ac:11:00:03")).toHaveLength(2);
  });

  it("answers bad usage as tcpdump does, and options it does not model as not simulated", () => {
    const engine = afterPing();
    const run = (command: string) => engine.run({ host: "node1", command });
    expect(run("tcpdump -i nosuch")).toMatchObject({ exitCode: 1, output: "tcpdump: nosuch: No such device exists\n(No such device exists)\n" });
    expect(run("tcpdump -i docker0 -c 0")).toMatchObject({ exitCode: 1, output: "tcpdump: invalid packet count 0\n" });
    expect(run("tcpdump -i docker0 host")).toMatchObject({ exitCode: 1, output: "tcpdump: can't parse filter expression: syntax error\n" });
    expect(run("tcpdump -i docker0 '(host 1.1.1.1'").exitCode).toBe(1);
    expect(run("tcpdump -i docker0 port abc")).toMatchObject({ exitCode: 1, output: "tcpdump: unknown port 'abc'\n" });
    expect(run("tcpdump -i docker0 net 10.0.0.0/33")).toMatchObject({ exitCode: 1, output: "tcpdump: mask length must be <= 32\n" });
    expect(run("tcpdump -c").output).toMatch(/^tcpdump: option requires an argument -- 'c'\ntcpdump version 4\.99\.3\n/);
    expect(run("tcpdump -w out.pcap")).toMatchObject({ exitCode: 1, output: "tcpdump -w: not simulated in cnlab\n" });
    expect(run("tcpdump -i any")).toMatchObject({ exitCode: 1, output: "tcpdump -i any: not simulated in cnlab\n" });
    expect(run("tcpdump -i docker0 'icmp[0] == 8'").output).toBe("tcpdump 'icmp[0] == 8': not simulated in cnlab\n");
    run("ip link set veth9c02e56 down");
    expect(run("tcpdump -i veth9c02e56")).toMatchObject({ exitCode: 1, output: "tcpdump: veth9c02e56: That device is not up\n" });
  });

  it("does not change what the network does: the same ping's trace with and without tcpdump between", () => {
    const a = afterPing();
    const b = afterPing();
    b.run({ host: "node1", command: "tcpdump -i docker0 -n" });
    const ra = a.run({ host: "node1", namespace: "nginx-1", command: "ping -c 1 172.17.0.3" });
    const rb = b.run({ host: "node1", namespace: "nginx-1", command: "ping -c 1 172.17.0.3" });
    expect(rb.events.map((e) => e.summary)).toEqual(ra.events.map((e) => e.summary));
  });
});
