/**
 * The real kernel's ping round trip, for bench/run.ts's kernel-ratio mode:
 * two network namespaces joined by veth pairs to a bridge in a third, as
 * Docker joins two containers to docker0 (the same names and addresses:
 * docker0 172.17.0.1/16, the containers .2 and .3), and a flood ping
 * (`ping -f -q`) from one to the other; ping's own elapsed time over its count
 * is the time per round trip. Needs root and iproute2 (`ip netns`);
 * kernelPingAvailable says whether this machine has them.
 *
 * Bare, the bridge only forwards. Given the simulated host's netfilter
 * (`asHost`: its iptables-save output and sysctls), the third namespace is set
 * up as that host: Docker's rules restored with iptables-restore, and
 * net.bridge.bridge-nf-call-iptables set, so every bridged packet passes
 * conntrack and the FORWARD and nat chains through br_netfilter, as the
 * simulator has it do. hostSetupAvailable says whether this kernel can.
 *
 * Every namespace it makes is named cnlab-kr-<pid>-…, lives only inside
 * itself (nothing is added to the namespace it runs in), and is deleted by
 * close(), which the caller runs in a finally and on SIGINT.
 */
import { execFileSync, spawnSync } from "node:child_process";

export function kernelPingAvailable(): { ok: true } | { ok: false; why: string } {
  if (process.getuid?.() !== 0) return { ok: false, why: "needs root (ip netns, ping -f)" };
  const ip = spawnSync("ip", ["netns", "list"], { stdio: "ignore" });
  if (ip.status !== 0) return { ok: false, why: "needs iproute2 with network namespaces (ip netns)" };
  const ping = spawnSync("ping", ["-V"], { stdio: "ignore" });
  if (ping.status !== 0) return { ok: false, why: "needs iputils ping" };
  return { ok: true };
}

/** The simulated host's netfilter, to set the kernel's bridge namespace up as it. */
export interface HostNetfilter {
  /** iptables-save's output on the simulated host. */
  ruleset: string;
  /** Sysctls as `name=value` (net.bridge.bridge-nf-call-iptables=1, net.ipv4.ip_forward=1). */
  sysctls: string[];
}

/** Whether this kernel can set a namespace up as a Docker host: iptables-restore, and br_netfilter's per-namespace sysctl. */
export function hostSetupAvailable(): { ok: true } | { ok: false; why: string } {
  if (spawnSync("iptables-restore", ["--version"], { stdio: "ignore" }).status !== 0) return { ok: false, why: "needs iptables-restore" };
  const name = `cnlab-kr-${process.pid}-probe`;
  if (spawnSync("ip", ["netns", "add", name], { stdio: "ignore" }).status !== 0) return { ok: false, why: "cannot add a network namespace" };
  try {
    const sysctl = spawnSync("ip", ["netns", "exec", name, "sysctl", "-n", "net.bridge.bridge-nf-call-iptables"], { stdio: "ignore" });
    return sysctl.status === 0 ? { ok: true } : { ok: false, why: "needs br_netfilter (net.bridge.bridge-nf-call-iptables in a network namespace)" };
  } finally {
    spawnSync("ip", ["netns", "del", name], { stdio: "ignore" });
  }
}

export class KernelPing {
  private readonly prefix: string;
  private readonly bridgeNs: string;
  private readonly a: string;
  private readonly b: string;
  private readonly made: string[] = [];
  readonly target = "172.17.0.3";

  constructor(label: string, asHost: HostNetfilter | null = null) {
    this.prefix = `cnlab-kr-${process.pid}-${label}`;
    this.bridgeNs = `${this.prefix}-br`;
    this.a = `${this.prefix}-a`;
    this.b = `${this.prefix}-b`;
    try {
      for (const ns of [this.bridgeNs, this.a, this.b]) {
        ip("netns", "add", ns);
        this.made.push(ns);
        ip("-n", ns, "link", "set", "lo", "up");
      }
      ip("-n", this.bridgeNs, "link", "add", "docker0", "type", "bridge");
      ip("-n", this.bridgeNs, "addr", "add", "172.17.0.1/16", "dev", "docker0");
      ip("-n", this.bridgeNs, "link", "set", "docker0", "up");
      for (const [ns, address, port] of [
        [this.a, "172.17.0.2/16", "veth-a"],
        [this.b, "172.17.0.3/16", "veth-b"],
      ] as const) {
        ip("-n", this.bridgeNs, "link", "add", port, "type", "veth", "peer", "name", "eth0", "netns", ns);
        ip("-n", this.bridgeNs, "link", "set", port, "master", "docker0", "up");
        ip("-n", ns, "addr", "add", address, "dev", "eth0");
        ip("-n", ns, "link", "set", "eth0", "up");
      }
      if (asHost !== null) {
        execFileSync("ip", ["netns", "exec", this.bridgeNs, "sysctl", "-q", "-w", ...asHost.sysctls], { stdio: ["ignore", "ignore", "pipe"] });
        execFileSync("ip", ["netns", "exec", this.bridgeNs, "iptables-restore"], { input: asHost.ruleset, stdio: ["pipe", "ignore", "pipe"] });
      }
      // ARP resolved and the bridge has learnt both ends before anything is timed.
      this.roundTrip(10);
      if (asHost !== null && this.forwardChainPackets() < 10) {
        throw new Error("the bridged pings did not pass the FORWARD chain: br_netfilter is not at work in the namespace");
      }
    } catch (err) {
      this.close();
      throw err;
    }
  }

  /** Microseconds per round trip of `ping -f -q -c count`, by ping's own clock. */
  roundTrip(count: number): number {
    const out = execFileSync("ip", ["netns", "exec", this.a, "ping", "-f", "-q", "-c", String(count), this.target], { encoding: "utf8" });
    const match = /(\d+) packets transmitted, (\d+) received.*time (\d+)ms/.exec(out);
    if (match === null) throw new Error(`unexpected ping output: ${out}`);
    if (match[1] !== match[2]) throw new Error(`the kernel lost packets: ${out}`);
    return (Number(match[3]) * 1000) / count;
  }

  /** Packets the host namespace's FORWARD chain has seen (its first rule's counter: Docker's jumps to DOCKER-USER). */
  private forwardChainPackets(): number {
    const out = execFileSync("ip", ["netns", "exec", this.bridgeNs, "iptables", "-t", "filter", "-L", "FORWARD", "1", "-v", "-x", "-n"], { encoding: "utf8" });
    return Number(out.trim().split(/\s+/)[0] ?? 0);
  }

  close(): void {
    while (this.made.length > 0) spawnSync("ip", ["netns", "del", this.made.pop()!], { stdio: "ignore" });
  }
}

function ip(...args: string[]): void {
  execFileSync("ip", args, { stdio: ["ignore", "ignore", "pipe"] });
}
