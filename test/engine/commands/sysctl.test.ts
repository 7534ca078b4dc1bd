import { describe, expect, it } from "vitest";
import { labEngine } from "../helpers/lab-engine.js";
import { frameRecorder, headerLines, linuxCapture } from "../helpers/linux-capture.js";
import { routedEngine } from "../helpers/routed-topology.js";
import { transcript } from "../helpers/transcript.js";

describe("sysctl net.ipv4.ip_forward", () => {
  it("is per namespace: on in the host (Docker), off in a container", () => {
    const engine = labEngine("bridge-two-containers");
    expect(engine.run({ host: "node1", command: "sysctl net.ipv4.ip_forward" }).output).toBe("net.ipv4.ip_forward = 1\n");
    expect(engine.run({ host: "node1", namespace: "nginx-1", command: "sysctl net/ipv4/ip_forward" }).output).toBe("net.ipv4.ip_forward = 0\n");
  });
  it("turning it off on the host stops containers reaching the other side of the host", () => {
    const engine = labEngine("bridge-two-containers");
    expect(engine.run({ host: "node1", command: "sysctl -w net.ipv4.ip_forward=0" }).output).toBe("net.ipv4.ip_forward = 0\n");
    const r = engine.run({ host: "node1", namespace: "nginx-1", command: "ping -c 1 -W 1 10.168.0.9" });
    expect(r.exitCode).toBe(1);
    expect(r.events.some((e) => e.kind === "drop" && e.reason === "forwarding-disabled" && e.namespace === "root")).toBe(true);
  });
  it("unknown keys and bad values fail and change nothing", () => {
    const engine = labEngine("bridge-two-containers");
    expect(engine.run({ host: "node1", command: "sysctl -w net.ipv4.nosuch=1" })).toMatchObject({ exitCode: 255, output: "sysctl: cannot stat /proc/sys/net/ipv4/nosuch: No such file or directory\n" });
    expect(engine.run({ host: "node1", command: "sysctl -w net.ipv4.ip_forward=7" }).exitCode).toBe(255);
    expect(engine.run({ host: "node1", command: "sysctl net.ipv4.ip_forward" }).output).toBe("net.ipv4.ip_forward = 1\n");
  });
});

describe("sysctl net.ipv4.conf.*: the per-interface keys", () => {
  it("reads and writes a device's keys, all and default, as procps prints them", () => {
    const engine = routedEngine();
    const run = (command: string) => engine.run({ host: "node1", namespace: "nginx-1", command });
    expect(run("sysctl net.ipv4.conf.eth0.rp_filter").output).toBe("net.ipv4.conf.eth0.rp_filter = 0\n");
    expect(run("sysctl -w net.ipv4.conf.eth0.rp_filter=1").output).toBe("net.ipv4.conf.eth0.rp_filter = 1\n");
    expect(run("sysctl -w net.ipv4.conf.eth0.rp_filter=3").output).toBe("net.ipv4.conf.eth0.rp_filter = 3\n");
    expect(run("sysctl -w net.ipv4.conf.all.rp_filter=2").output).toBe("net.ipv4.conf.all.rp_filter = 2\n");
    expect(run("sysctl -w net.ipv4.conf.eth0.proxy_arp=1").output).toBe("net.ipv4.conf.eth0.proxy_arp = 1\n");
    expect(run("sysctl -w net.ipv4.conf.eth0.arp_announce=2").output).toBe("net.ipv4.conf.eth0.arp_announce = 2\n");
    expect(run("sysctl net/ipv4/conf/eth0/accept_local").output).toBe("net.ipv4.conf.eth0.accept_local = 0\n");
    expect(run("sysctl net.ipv4.conf.default.forwarding").output).toBe("net.ipv4.conf.default.forwarding = 0\n");
    expect(run("sysctl -w net.ipv4.conf.all.forwarding=1").output).toBe("net.ipv4.conf.all.forwarding = 1\n");
    expect(run("sysctl -n net.ipv4.ip_forward net.ipv4.conf.eth0.forwarding").output).toBe("1\n1\n");
    expect(run("sysctl net.ipv4.conf.nosuch.proxy_arp").output).toBe("sysctl: cannot stat /proc/sys/net/ipv4/conf/nosuch/proxy_arp: No such file or directory\n");
    expect(run("sysctl -w net.ipv4.conf.eth0.rp_filter=x").output).toBe('sysctl: setting key "net.ipv4.conf.eth0.rp_filter": Invalid argument\n');
  });

  it("-a lists them, sorted as sysctl walks /proc/sys", () => {
    const out = routedEngine().run({ host: "node1", namespace: "nginx-1", command: "sysctl -N -a" }).output.split("\n");
    expect(out.slice(0, 3)).toEqual(["net.bridge.bridge-nf-call-iptables", "net.ipv4.conf.all.accept_local", "net.ipv4.conf.all.arp_announce"]);
    expect(out).toContain("net.ipv4.conf.eth0.rp_filter");
    expect(out).toContain("net.ipv4.conf.lo.proxy_arp");
  });

  it("rp_filter=1 (strict) on the router drops a packet whose route back leaves by another device, with a drop event; 2 (loose) lets it through", () => {
    for (const [mode, dropped] of [["1", true], ["2", false], ["0", false]] as const) {
      const engine = routedEngine();
      const router = (command: string) => expect(engine.run({ host: "node1", namespace: "router", command }).exitCode).toBe(0);
      router("ip route del 172.17.0.0/16");
      router("ip route add 172.17.0.0/16 via 10.9.9.9 dev eth1");
      router(`sysctl -w net.ipv4.conf.eth0.rp_filter=${mode}`);
      const r = engine.run({ host: "node1", namespace: "nginx-1", command: "ping -c 1 -W 1 10.9.9.9" });
      // Far's answer comes back to far through the router's bent route: far drops that one as a martian from its own
      // address (accept_local off), whatever the router's rp_filter; only the router's drops are in question here.
      const drops = r.events.filter((e) => e.kind === "drop" && e.reason === "rp-filter" && e.namespace === "router");
      expect(drops.length > 0).toBe(dropped);
      if (dropped) expect(drops[0]).toMatchObject({ namespace: "router", device: "eth0" });
    }
  });

  it("conf.all.rp_filter counts too: the larger of all and the device's", () => {
    const engine = routedEngine();
    const router = (command: string) => engine.run({ host: "node1", namespace: "router", command });
    router("ip route del 172.17.0.0/16");
    router("ip route add 172.17.0.0/16 via 10.9.9.9 dev eth1");
    router("sysctl -w net.ipv4.conf.all.rp_filter=1");
    const r = engine.run({ host: "node1", namespace: "nginx-1", command: "ping -c 1 -W 1 10.9.9.9" });
    expect(r.events.some((e) => e.kind === "drop" && e.reason === "rp-filter")).toBe(true);
  });

  it("proxy_arp=1 on docker0 answers nginx-1's ARP for an address the host routes elsewhere", () => {
    const engine = routedEngine();
    engine.run({ host: "node1", namespace: "nginx-1", command: "ip route add 10.9.9.0/24 dev eth0" });
    const before = engine.run({ host: "node1", namespace: "nginx-1", command: "ping -c 1 -W 1 10.9.9.9" });
    expect(before.exitCode).toBe(1);
    engine.run({ host: "node1", command: "sysctl -w net.ipv4.conf.docker0.proxy_arp=1" });
    engine.run({ host: "node1", namespace: "nginx-1", command: "ip neigh flush all" });
    const after = engine.run({ host: "node1", namespace: "nginx-1", command: "ping -c 1 -W 1 10.9.9.9" });
    expect(after.events.some((e) => e.kind === "arp-reply" && e.namespace === "root" && e.summary.includes("10.9.9.9 is at 02:42:d8:e4:df:c1"))).toBe(true);
    expect(after.exitCode).toBe(0);
  });

  it("forwarding: ip_forward's new values reach default and every device, a device's own value stays until then, as the transcript from Linux shows", () => {
    const engine = routedEngine();
    for (const step of transcript("sysctl-forwarding-transcript")) {
      const r = engine.run({ host: "node1", namespace: "router", command: step.command });
      expect({ command: step.command, output: r.output, exit: r.exitCode }).toEqual({ command: step.command, output: step.output, exit: step.exit });
    }
  });

  it.each([
    ["eth0", "the request is dropped as it comes in"],
    ["eth1", "the request goes through, the reply is dropped as it comes in"],
  ])("forwarding off on the router's %s alone: %s, silently, frame for frame as Linux", (dev) => {
    const rec = frameRecorder();
    const engine = routedEngine({ capture: rec.capture });
    expect(engine.run({ host: "node1", namespace: "router", command: `sysctl -w net.ipv4.conf.${dev}.forwarding=0` }).exitCode).toBe(0);
    const r = engine.run({ host: "node1", namespace: "nginx-1", command: "ping -c 1 -W 1 10.9.9.9" });
    expect(r.output).toContain("1 packets transmitted, 0 received, 100% packet loss");
    for (const side of ["eth0", "eth1"]) {
      const linux = headerLines(linuxCapture(`capture-forwarding-${dev}-off-rtr-${side}`));
      // The router's MACs are drawn at random on both sides: compare what follows them.
      const strip = (lines: string[]) => lines.map((l) => l.split(" | ").slice(1).join(" | "));
      expect(strip(headerLines(rec.frames(`router/${side}`)))).toEqual(strip(linux));
    }
    const drop = r.events.find((e) => e.kind === "drop" && e.reason === "forwarding-disabled");
    expect(drop).toMatchObject({ namespace: "router", device: dev, summary: expect.stringContaining(`net.ipv4.conf.${dev}.forwarding is 0`) });
  });
});
