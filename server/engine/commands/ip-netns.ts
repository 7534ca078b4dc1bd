/**
 * `ip netns`: the named network namespaces of the host (those `ip netns add`
 * made, which live under /run/netns), running a command inside one, and
 * creating or deleting them. Docker's container namespaces are not named
 * there, so they are neither listed nor reachable by name, as on a real
 * Docker host; from inside a container none are visible.
 */
import { NEW_NAMESPACE_OBJECTS, type NetNamespace } from "../stack/namespace.js";
import { fail, type CommandContext, type ExitStatus } from "./command-context.js";
import { matches } from "./ip-args.js";
import { isContainerNamespace, isNamedNamespace, netnsId, vethPeer } from "./link-peer.js";
import { notSimulated } from "./not-simulated.js";
import { limitReached } from "./object-limit.js";

function namedNamespaces(ctx: CommandContext): NetNamespace[] {
  if (isContainerNamespace(ctx.host, ctx.ns)) return [];
  return [...ctx.host.namespaces.values()].filter((ns) => isNamedNamespace(ctx.host, ns));
}

/** The namespaces this one has an id for: the kernel assigns one when a device's link partner lives there. */
function hasId(ctx: CommandContext, other: NetNamespace): boolean {
  return ctx.ns.deviceList().some((d) => {
    const peer = vethPeer(d);
    return peer !== null && peer.ns.host === other.host && peer.ns.name === other.name;
  });
}

function list(ctx: CommandContext): number {
  for (const ns of namedNamespaces(ctx)) ctx.out.push(hasId(ctx, ns) ? `${ns.name} (id: ${netnsId(ctx.host, ctx.ns, ns)})` : ns.name);
  return 0;
}

/** `ip netns list-id`: the ids this namespace has given, with the name when it has one. */
function listIds(ctx: CommandContext): number {
  const ids = [...ctx.host.namespaces.values()]
    .filter((ns) => ns !== ctx.ns && hasId(ctx, ns))
    .map((ns) => ({ ns, id: netnsId(ctx.host, ctx.ns, ns) }))
    .sort((a, b) => a.id - b.id);
  const visible = new Set(namedNamespaces(ctx));
  for (const { ns, id } of ids) ctx.out.push(visible.has(ns) ? `nsid ${id} (iproute2 netns name: ${ns.name})` : `nsid ${id} `);
  return 0;
}

/** Looks up a name under /run/netns as `ip netns exec` and `ip -n` do. */
export function openNamedNamespace(ctx: CommandContext, name: string): NetNamespace {
  const ns = namedNamespaces(ctx).find((n) => n.name === name);
  if (ns === undefined) fail(`Cannot open network namespace "${name}": No such file or directory`, 255);
  return ns;
}

export function ipNetns(argv: string[], ctx: CommandContext): ExitStatus {
  const [cmd = "list", name, ...rest] = argv;
  if (matches(cmd, "list") || cmd === "show") return list(ctx);
  if (matches(cmd, "exec")) {
    if (name === undefined) fail("No command specified", 1);
    const ns = openNamedNamespace(ctx, name);
    if (rest.length === 0) fail("No command specified", 1);
    return ctx.exec(ns, rest);
  }
  if (matches(cmd, "add")) {
    if (name === undefined) fail("No netns name specified", 1);
    if (ctx.host.namespaces.has(name)) {
      if (namedNamespaces(ctx).some((n) => n.name === name)) fail(`Cannot create namespace file "/run/netns/${name}": File exists`, 1);
      notSimulated(`ip netns add ${name} (a namespace named like a container's or the host's)`);
    }
    const full = ctx.net.quota.check(NEW_NAMESPACE_OBJECTS);
    if (full !== null) limitReached(full, 1, (m) => `Failed to create a new network namespace "${name}": ${m}`);
    ctx.host.addNamespace(name);
    return 0;
  }
  if (matches(cmd, "delete")) {
    if (name === undefined) fail("No netns name specified", 1);
    if (!namedNamespaces(ctx).some((n) => n.name === name)) fail(`Cannot remove namespace file "/run/netns/${name}": No such file or directory`, 1);
    ctx.host.deleteNamespace(name);
    return 0;
  }
  if (cmd === "list-id") return listIds(ctx);
  if (["identify", "pids", "set", "monitor", "attach"].some((c) => matches(cmd, c))) notSimulated(`ip netns ${cmd}`);
  fail(`Command "${cmd}" is unknown, try "ip netns help".`, 255);
}
