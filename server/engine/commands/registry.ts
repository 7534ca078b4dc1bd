/** The programs a student can type, by name. One file per tool. */
import { arpCommand } from "./arp.js";
import { brctlCommand } from "./brctl.js";
import { calicoctlCommand } from "./calicoctl.js";
import { catCommand } from "./cat.js";
import { bridgeCommand } from "./bridge.js";
import type { CommandHandler } from "./command-context.js";
import { conntrackCommand } from "./conntrack.js";
import { curlCommand } from "./curl.js";
import { digCommand } from "./dig.js";
import { dockerCommand } from "./docker.js";
import { ifconfigCommand } from "./ifconfig.js";
import { ipCommand } from "./ip.js";
import { ipsetCommand } from "./ipset.js";
import { iptablesCommand } from "./iptables.js";
import { iptablesSaveCommand } from "./iptables-save.js";
import { kubectlCommand } from "./kubectl.js";
import { lsCommand } from "./ls.js";
import { nslookupCommand } from "./nslookup.js";
import { pingCommand } from "./ping.js";
import { routeCommand } from "./route.js";
import { sleepCommand } from "./sleep.js";
import { ssCommand } from "./ss.js";
import { sysctlCommand } from "./sysctl.js";
import { tcpdumpCommand } from "./tcpdump.js";
import { tracerouteCommand } from "./traceroute.js";
import { ncCommand } from "./nc.js";
import { wgetCommand } from "./wget.js";

export const COMMANDS: Record<string, CommandHandler> = {
  arp: arpCommand,
  brctl: brctlCommand,
  calicoctl: calicoctlCommand,
  cat: catCommand,
  bridge: bridgeCommand,
  conntrack: conntrackCommand,
  curl: curlCommand,
  dig: digCommand,
  docker: dockerCommand,
  ifconfig: ifconfigCommand,
  ip: ipCommand,
  ipset: ipsetCommand,
  iptables: iptablesCommand,
  "iptables-save": iptablesSaveCommand,
  kubectl: kubectlCommand,
  ls: lsCommand,
  nc: ncCommand,
  nslookup: nslookupCommand,
  ping: pingCommand,
  route: routeCommand,
  sleep: sleepCommand,
  ss: ssCommand,
  sysctl: sysctlCommand,
  tcpdump: tcpdumpCommand,
  traceroute: tracerouteCommand,
  wget: wgetCommand,
};
