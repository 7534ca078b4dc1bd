/**
 * A conntrack entry as `conntrack -L` (conntrack-tools 1.4.7) prints it:
 * protocol name and number, seconds left, the TCP state, the original tuple
 * ([UNREPLIED] until a reply is seen), the reply tuple, [ASSURED]. Kept
 * beside the table so the conntrack command and the state snapshot print the
 * same line.
 */
import { formatIpv4 } from "../../wire/ipv4-address.js";
import type { ConntrackEntry, Tuple } from "./conntrack.js";
import { protocolName } from "./rule-text.js";

function tuple(e: ConntrackEntry, t: Tuple, reply: boolean): string {
  const base = `src=${formatIpv4(t.src)} dst=${formatIpv4(t.dst)}`;
  if (e.protocol === 1) return `${base} type=${reply ? 0 : 8} code=0 id=${t.sport}`;
  return `${base} sport=${t.sport} dport=${t.dport}`;
}

/** Whole seconds until the entry expires, as the kernel reports its timeout. */
export function conntrackSecondsLeft(e: ConntrackEntry, now: number): number {
  return Math.max(0, Math.floor((e.expires - now) / 1_000_000));
}

export function conntrackLine(e: ConntrackEntry, now: number): string {
  const name = protocolName(e.protocol).padEnd(8);
  const state = e.tcpState !== null ? ` ${e.tcpState}` : "";
  const unreplied = e.seenReply ? "" : " [UNREPLIED]";
  return `${name} ${e.protocol} ${conntrackSecondsLeft(e, now)}${state} ${tuple(e, e.orig, false)}${unreplied} ${tuple(e, e.reply, true)}${e.assured ? " [ASSURED]" : ""} mark=0 use=1`;
}
