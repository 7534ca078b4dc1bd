/**
 * The real kernel's ping round trip, for bench/run.ts's kernel-ratio mode:
 * two network namespaces joined by veth pairs to a bridge in a third, as
 * Docker joins two containers to docker0, and a flood ping (`ping -f -q`)
 * from one to the other; ping's own elapsed time over its count is the time
 * per round trip. Needs root and iproute2 (`ip netns`); kernelPingAvailable
 * says whether this machine has them.
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

export class KernelPing {
  private readonly prefix = `cnlab-kr-${process.pid}`;
  private readonly bridgeNs = `${this.prefix}-br`;
  private readonly a = `${this.prefix}-a`;
  private readonly b = `${this.prefix}-b`;
  private readonly made: string[] = [];
  readonly target = "172.31.250.3";

  constructor() {
    try {
      for (const ns of [this.bridgeNs, this.a, this.b]) {
        ip("netns", "add", ns);
        this.made.push(ns);
        ip("-n", ns, "link", "set", "lo", "up");
      }
      ip("-n", this.bridgeNs, "link", "add", "br0", "type", "bridge");
      ip("-n", this.bridgeNs, "link", "set", "br0", "up");
      for (const [ns, address, port] of [
        [this.a, "172.31.250.2/24", "veth-a"],
        [this.b, "172.31.250.3/24", "veth-b"],
      ] as const) {
        ip("-n", this.bridgeNs, "link", "add", port, "type", "veth", "peer", "name", "eth0", "netns", ns);
        ip("-n", this.bridgeNs, "link", "set", port, "master", "br0", "up");
        ip("-n", ns, "addr", "add", address, "dev", "eth0");
        ip("-n", ns, "link", "set", "eth0", "up");
      }
      // ARP resolved and the bridge has learnt both ends before anything is timed.
      this.roundTrip(10);
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

  close(): void {
    while (this.made.length > 0) spawnSync("ip", ["netns", "del", this.made.pop()!], { stdio: "ignore" });
  }
}

function ip(...args: string[]): void {
  execFileSync("ip", args, { stdio: ["ignore", "ignore", "pipe"] });
}
