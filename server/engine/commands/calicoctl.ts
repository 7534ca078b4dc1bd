/**
 * calicoctl node status: whether BIRD runs on this node and the state of its
 * BGP sessions (the node-to-node mesh), read from the TCP connections BIRD
 * holds on port 179.
 */
import { formatIpv4 } from "../wire/ipv4-address.js";
import { fail, type CommandHandler } from "./command-context.js";

const BGP_PORT = 179;

function clock(us: number): string {
  const s = Math.floor(us / 1_000_000) % 86400;
  return [Math.floor(s / 3600), Math.floor(s / 60) % 60, s % 60].map((n) => String(n).padStart(2, "0")).join(":");
}

export const calicoctlCommand: CommandHandler = (argv, ctx) => {
  if (argv[0] !== "node" || argv[1] !== "status" || argv.length > 2) {
    fail(`Invalid option: 'calicoctl ${argv.join(" ")}'.\n\nUsage:\n  calicoctl node status\n\ncnlab simulates \`calicoctl node status\` only.`, 1);
  }
  const root = ctx.host.root;
  if (root.sockets.findListener(0, BGP_PORT)?.process !== "bird") fail("Calico process is not running.", 1);
  const peers = root.sockets.tcpConnections
    .filter((c) => c.process === "bird" || c.listener?.process === "bird")
    .map((c) => ({ address: formatIpv4(c.remote), up: c.state === "ESTAB" }))
    .sort((a, b) => a.address.localeCompare(b.address));
  // The mesh comes up while the network is built.
  const since = clock(ctx.net.options.startTime);
  const cols = ["PEER ADDRESS", "PEER TYPE", "STATE", "SINCE", "INFO"];
  const rows = peers.map((p) => [p.address, "node-to-node mesh", p.up ? "up" : "start", since, p.up ? "Established" : "Connect"]);
  const widths = cols.map((c, i) => Math.max(c.length, ...rows.map((r) => r[i]!.length)) + 2);
  const rule = `+${widths.map((w) => "-".repeat(w)).join("+")}+`;
  const centre = (t: string, w: number) => {
    const left = Math.floor((w - t.length) / 2);
    return " ".repeat(left) + t + " ".repeat(w - t.length - left);
  };
  ctx.out.push("Calico process is running.", "", "IPv4 BGP status", rule, `|${cols.map((c, i) => centre(c, widths[i]!)).join("|")}|`, rule);
  for (const r of rows) ctx.out.push(`|${r.map((c, i) => ` ${c.padEnd(widths[i]! - 1)}`).join("|")}|`);
  ctx.out.push(rule, "", "IPv6 BGP status", "No IPv6 peers found.", "");
  return 0;
};
