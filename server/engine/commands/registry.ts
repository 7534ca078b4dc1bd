import type { CommandHandler } from "./command-context.js";
import { conntrackCommand } from "./conntrack.js";
import { iptablesCommand } from "./iptables.js";
import { curlCommand } from "./curl.js";
import { dockerCommand } from "./docker.js";
import { pingCommand } from "./ping.js";
import { sleepCommand } from "./sleep.js";
import { sysctlCommand } from "./sysctl.js";
export const COMMANDS: Record<string, CommandHandler> = { curl: curlCommand, docker: dockerCommand, ping: pingCommand, sleep: sleepCommand, sysctl: sysctlCommand, iptables: iptablesCommand, conntrack: conntrackCommand };
