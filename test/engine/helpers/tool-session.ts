/**
 * A terminal on the chapter's node for the show-and-configure tools: builds
 * the network, runs command lines in a namespace (ip, bridge, brctl,
 * ifconfig, route, arp, ss directly; anything else through the engine's
 * registry, e.g. ping), lets the network settle after each command as the
 * engine does, and lets virtual time pass.
 */
import { arpCommand } from "../../../server/engine/commands/arp.js";
import { brctlCommand } from "../../../server/engine/commands/brctl.js";
import { bridgeCommand } from "../../../server/engine/commands/bridge.js";
import { CommandFailure, type CommandContext, type CommandHandler, type ExitStatus } from "../../../server/engine/commands/command-context.js";
import { stepProcess } from "../../../server/engine/commands/run-command.js";
import { ifconfigCommand } from "../../../server/engine/commands/ifconfig.js";
import { ipCommand } from "../../../server/engine/commands/ip.js";
import { COMMANDS } from "../../../server/engine/commands/registry.js";
import { routeCommand } from "../../../server/engine/commands/route.js";
import { ssCommand } from "../../../server/engine/commands/ss.js";
import { tokenize } from "../../../server/engine/commands/tokenize.js";
import type { NetNamespace } from "../../../server/engine/stack/namespace.js";
import { buildNetwork } from "../../../server/engine/topology/build-network.js";
import type { Network, SimHost } from "../../../server/engine/topology/network.js";
import type { TopologySpec } from "../../../server/engine/topology/topology-schema.js";
import { chapterTopology } from "./chapter-topology.js";

const TOOLS: Record<string, CommandHandler> = { arp: arpCommand, brctl: brctlCommand, bridge: bridgeCommand, ifconfig: ifconfigCommand, ip: ipCommand, route: routeCommand, ss: ssCommand };

/** How long the engine lets the network settle after a command, µs. */
const SETTLE = 10_000;

export class ToolSession {
  readonly net: Network;
  readonly host: SimHost;

  constructor(spec: TopologySpec = chapterTopology()) {
    this.net = buildNetwork(spec, { seed: 1, startTime: 0, eventBudget: 100_000 });
    this.host = [...this.net.hosts.values()][0]!;
  }

  ns(name = "root"): NetNamespace {
    const ns = this.host.namespaces.get(name);
    if (ns === undefined) throw new Error(`no namespace ${name}`);
    return ns;
  }

  run(line: string, namespace = "root"): { output: string; exitCode: number } {
    const t = tokenize(line);
    if (!t.ok) throw new Error(t.error);
    const out: string[] = [];
    const exitCode = this.argv(this.ns(namespace), t.argv, out);
    this.net.scheduler.runUntil(this.net.scheduler.now + SETTLE);
    this.net.trace.take();
    return { output: out.length === 0 ? "" : out.join("\n") + "\n", exitCode };
  }

  private argv(ns: NetNamespace, argv: string[], out: string[]): number {
    const status = this.start(ns, argv, out);
    if (typeof status === "number") return status;
    for (;;) {
      const code = stepProcess(status, out);
      if (code !== null) return code;
    }
  }

  private start(ns: NetNamespace, argv: string[], out: string[]): ExitStatus {
    const [name, ...args] = argv;
    const handler = TOOLS[name!] ?? COMMANDS[name!];
    if (handler === undefined) throw new Error(`no command ${name}`);
    const ctx: CommandContext = { net: this.net, host: this.host, ns, out, exec: (inner, innerArgv) => this.start(inner, innerArgv, out) };
    try {
      return handler(args, ctx);
    } catch (e) {
      if (!(e instanceof CommandFailure)) throw e;
      if (e.message !== "") out.push(...e.message.split("\n"));
      return e.exitCode;
    }
  }

  /** Lets virtual time pass (ARP and FDB ageing). */
  advance(micros: number): void {
    this.net.scheduler.runUntil(this.net.scheduler.now + micros);
    this.net.trace.take();
  }
}
