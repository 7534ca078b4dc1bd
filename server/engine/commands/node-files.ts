/**
 * The few files a student may read on a node, computed from the state they
 * describe, read-only: the CNI chain's configuration and state (the
 * conflist, flanneld's subnet.env, host-local's store, /opt/cni/bin), and
 * in sysfs each bridge's brif/ directory and its ports' hairpin_mode (of
 * the namespace the command runs in, as sysfs mounted there shows it).
 * Anything else is outside the model: `cat` and `ls` say so rather than
 * pretend the file is missing.
 */
import { Bridge } from "../link/bridge.js";
import { CONFLIST_PATH, conflist, IPAM_DIR, SUBNET_ENV_PATH, subnetEnv } from "../kube/cni-config.js";
import { cniDirectories } from "../kube/cni-files.js";
import { formatIpv4 } from "../wire/ipv4-address.js";
import type { CommandContext } from "./command-context.js";
import { resolvConf, resolvConfLines } from "./resolv-conf.js";

export type FileView = { kind: "file"; lines: string[] } | { kind: "dir"; entries: string[] } | { kind: "missing" } | { kind: "unmodelled" };

/** Directories whose whole content the model knows: a name not listed in them does not exist. */
function cniView(ctx: CommandContext, path: string): FileView | null {
  const cni = ctx.net.kube?.cni.get(ctx.host.name);
  if (cni === undefined) return null;
  const reserved = [...cni.ipam.reserved.entries()].sort((a, b) => a[0] - b[0]);
  const dirs = cniDirectories(cni.ipam);
  const dir = dirs[path];
  if (dir !== undefined) return { kind: "dir", entries: dir };
  if (path === CONFLIST_PATH) return { kind: "file", lines: conflist(cni.node.hairpinMode) };
  if (path === SUBNET_ENV_PATH) return { kind: "file", lines: subnetEnv(cni.node) };
  if (path === `${IPAM_DIR}/last_reserved_ip.0` && cni.ipam.lastReserved !== null) return { kind: "file", lines: [formatIpv4(cni.ipam.lastReserved)] };
  if (path === `${IPAM_DIR}/lock`) return { kind: "file", lines: [] };
  const held = reserved.find(([ip]) => path === `${IPAM_DIR}/${formatIpv4(ip)}`);
  // The store writes the container's id, "\r\n" and the interface's name.
  if (held !== undefined) return { kind: "file", lines: [`${held[1].containerId}\r`, held[1].ifName] };
  const parent = path.slice(0, path.lastIndexOf("/"));
  return dirs[parent] !== undefined ? { kind: "missing" } : null;
}

/** /sys/devices/virtual/net/BR/brif/PORT/hairpin_mode and /sys/class/net/PORT/brport/hairpin_mode. */
function sysfsView(ctx: CommandContext, path: string): FileView | null {
  const brif = /^\/sys\/(?:devices\/virtual|class)\/net\/([^/]+)\/brif(?:\/([^/]+)(?:\/hairpin_mode)?)?$/.exec(path);
  const brport = /^\/sys\/class\/net\/([^/]+)\/brport\/hairpin_mode$/.exec(path);
  if (brif === null && brport === null) return null;
  const bridge = brif !== null ? ctx.ns.device(brif[1]!) : ctx.ns.device(brport![1]!)?.master;
  if (!(bridge instanceof Bridge)) return { kind: "missing" };
  if (brif !== null && brif[2] === undefined) return { kind: "dir", entries: bridge.ports.map((p) => p.name).sort() };
  const port = bridge.ports.find((p) => p.name === (brif !== null ? brif[2] : brport![1]));
  if (port === undefined) return { kind: "missing" };
  if (brif !== null && !path.endsWith("/hairpin_mode")) return { kind: "unmodelled" };
  return { kind: "file", lines: [bridge.hairpin.has(port) ? "1" : "0"] };
}

/** A pod's /etc/resolv.conf, when the cluster gives its pods DNS (resolv-conf.ts). */
function podView(ctx: CommandContext, path: string): FileView | null {
  if (path !== "/etc/resolv.conf") return null;
  const conf = resolvConf(ctx);
  return conf === null ? null : { kind: "file", lines: resolvConfLines(conf) };
}

export function fileView(ctx: CommandContext, path: string): FileView {
  const clean = path.length > 1 ? path.replace(/\/+$/, "") : path;
  return cniView(ctx, clean) ?? sysfsView(ctx, clean) ?? podView(ctx, clean) ?? { kind: "unmodelled" };
}
