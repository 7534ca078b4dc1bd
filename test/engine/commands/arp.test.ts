/** `arp` shows the neighbour table as net-tools 2.10 does (test/fixtures/linux). */
import { describe, expect, it } from "vitest";
import { linuxFixture } from "../helpers/linux-fixtures.js";
import { ToolSession } from "../helpers/tool-session.js";

function expectFixture(s: ToolSession, command: string, namespace: string, file: string): void {
  const f = linuxFixture(file);
  expect(s.run(command, namespace)).toEqual({ output: f.text, exitCode: f.exit });
}

describe("arp -n", () => {
  it("an empty table prints nothing at all", () => {
    const s = new ToolSession();
    expectFixture(s, "arp -n", "root", "host-arp-n-before-ping");
    expectFixture(s, "arp -n", "nginx-1", "nginx-1-arp-n-before-ping");
    expectFixture(s, "arp -n", "nginx-2", "nginx-2-arp-n-before-ping");
  });

  it("after nginx-1 pings nginx-2: one complete entry in each container, none on the host", () => {
    const s = new ToolSession();
    s.run("ping -c 3 172.17.0.3", "nginx-1");
    expectFixture(s, "arp -n", "nginx-1", "nginx-1-arp-n-after-ping");
    expectFixture(s, "arp -n", "nginx-2", "nginx-2-arp-n-after-ping");
    expectFixture(s, "arp -n", "root", "host-arp-n-after-ping");
    s.run("ping -c 2 172.17.0.1", "nginx-1");
    expectFixture(s, "arp -n", "nginx-1", "nginx-1-arp-n-after-gateway-ping");
  });

  it("a STALE entry is still complete (C)", () => {
    const s = new ToolSession();
    s.run("ping -c 1 172.17.0.3", "nginx-1");
    s.advance(75_000_000);
    expectFixture(s, "arp -n", "nginx-1", "nginx-1-arp-n-stale");
  });

  it("INCOMPLETE and FAILED both read (incomplete)", () => {
    const s = new ToolSession();
    s.run("ping -c 2 172.17.0.1", "nginx-1");
    s.run("ping -c 1 172.17.0.3", "nginx-1");
    s.run("ping -c 2 -W 1 172.17.0.99", "nginx-1");
    expectFixture(s, "arp -n", "nginx-1", "nginx-1-arp-n-after-failed-ping");
    s.advance(3_000_000);
    expectFixture(s, "arp -n", "nginx-1", "nginx-1-arp-n-after-failed-ping-3s");
    // Filtering on an interface that matches nothing counts the entries it read.
    expectFixture(s, "arp -n -i nosuch", "nginx-1", "nginx-1-arp-n-i-nosuch");
  });

  it("arp, arp -a and arp -an (no names resolve in the lab)", () => {
    const s = new ToolSession();
    s.run("ping -c 1 172.17.0.3", "nginx-1");
    s.run("ping -c 1 172.17.0.1", "nginx-1");
    expectFixture(s, "arp", "nginx-1", "nginx-1-arp");
    expectFixture(s, "arp -a", "nginx-1", "nginx-1-arp-a");
    expectFixture(s, "arp -an", "nginx-1", "nginx-1-arp-an");
    expect(s.run("arp -n 172.17.0.3", "nginx-1").output).toBe(
      "Address                  HWtype  HWaddress           Flags Mask            Iface\n172.17.0.3               ether   02:42:ac:11:00:03   C                     eth0\n",
    );
    expect(s.run("arp -n 172.17.0.77", "nginx-1")).toEqual({ output: "172.17.0.77 (172.17.0.77) -- no entry\n", exitCode: 0 });
  });
});

describe("arp -s / -d", () => {
  it("a static entry shows CM (PERM with -a); -d deletes it", () => {
    const s = new ToolSession();
    expect(s.run("arp -s 172.17.0.70 02:42:ac:11:00:46", "nginx-1")).toEqual({ output: "", exitCode: 0 });
    expect(s.run("arp -n", "nginx-1").output).toContain("172.17.0.70              ether   02:42:ac:11:00:46   CM                    eth0\n");
    expect(s.run("arp -a", "nginx-1").output).toBe("? (172.17.0.70) at 02:42:ac:11:00:46 [ether] PERM on eth0\n");
    expect(s.run("ip neigh", "nginx-1").output).toBe("172.17.0.70 dev eth0 lladdr 02:42:ac:11:00:46 PERMANENT \n");
    expect(s.run("arp -d 172.17.0.70", "nginx-1")).toEqual({ output: "", exitCode: 0 });
    expect(s.run("arp -d 172.17.0.70", "nginx-1")).toEqual({ output: "No ARP entry for 172.17.0.70\n", exitCode: 255 });
  });

  for (const [command, output, exitCode] of [
    ["arp -d", "arp: need host name\n", 255],
    ["arp -s 10.9.9.9 02:42:ac:11:00:46", "SIOCSARP: Network is unreachable\n", 255],
    ["arp -s 172.17.0.70 zz", "arp: invalid hardware address\n", 255],
  ] as const) {
    it(`${command} fails like net-tools and changes nothing`, () => {
      const s = new ToolSession();
      expect(s.run(command, "nginx-1")).toEqual({ output, exitCode });
      expect(s.run("ip neigh", "nginx-1").output).toBe("");
    });
  }

  it("an unknown option prints the usage (exit 3)", () => {
    const r = new ToolSession().run("arp -z", "nginx-1");
    expect(r.exitCode).toBe(3);
    expect(r.output.split("\n").slice(0, 2)).toEqual(["arp: invalid option -- 'z'", "Usage:"]);
  });
});
