/**
 * JSON text of a trace event, as stored and streamed. Serialising is on every
 * event's path (the command log, each WebSocket client), so it is written out
 * per kind rather than left to JSON.stringify's generic walk, which costs
 * about twice as much on these small flat objects:
 * - the fields come in one fixed order, the schema's: seq, time, kind, host,
 *   namespace, device, packetId, summary, the kind's own fields, then layers;
 * - strings are quoted directly unless they hold something JSON must escape;
 * - the decoded layers of a frame are shared by every event about it (often
 *   five or six), so their JSON is made once per frame and spliced in.
 * The result parses to exactly the event (a test checks every event the labs'
 * walkthroughs produce), and the exhaustive switch makes a new kind a compile error.
 */
import { assertNever, type TraceEvent } from "./trace-event.js";

/** Quotes, backslashes, control characters and (possibly lone) surrogates: JSON.stringify knows the rules. */
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

/** A string's JSON text between its quotes: the string itself, unless it needs escapes. */
export function raw(s: string): string {
  return NEEDS_ESCAPE.test(s) ? JSON.stringify(s).slice(1, -1) : s;
}

function str(s: string): string {
  return `"${raw(s)}"`;
}

function strOrNull(s: string | null): string {
  return s === null ? "null" : str(s);
}

/** Numbers print as JSON.stringify prints them; a non-finite one (never expected) as null, as it would. */
export function num(n: number): string {
  return Number.isFinite(n) ? `${n}` : "null";
}

function numOrNull(n: number | null): string {
  return n === null ? "null" : num(n);
}

function strArray(list: readonly string[]): string {
  let out = "[";
  for (let i = 0; i < list.length; i++) out += (i === 0 ? "" : ",") + str(list[i]!);
  return `${out}]`;
}

/** The kind's own fields, each preceded by a comma. */
function kindFields(e: TraceEvent): string {
  switch (e.kind) {
    case "frame-tx":
    case "frame-rx":
      return `,"length":${num(e.length)}`;
    case "bridge-learn":
      return `,"bridge":"${raw(e.bridge)}","port":"${raw(e.port)}","mac":"${raw(e.mac)}","previousPort":${strOrNull(e.previousPort)}`;
    case "bridge-flood":
      return `,"bridge":"${raw(e.bridge)}","ingress":"${raw(e.ingress)}","egress":${strArray(e.egress)}`;
    case "bridge-forward":
      return `,"bridge":"${raw(e.bridge)}","ingress":"${raw(e.ingress)}","egress":"${raw(e.egress)}","mac":"${raw(e.mac)}"`;
    case "bridge-local":
      return `,"bridge":"${raw(e.bridge)}","ingress":"${raw(e.ingress)}"`;
    case "fdb-age-out":
      return `,"bridge":"${raw(e.bridge)}","port":"${raw(e.port)}","mac":"${raw(e.mac)}","idleSeconds":${num(e.idleSeconds)}`;
    case "arp-request":
      return `,"targetIp":"${raw(e.targetIp)}","senderIp":"${raw(e.senderIp)}","senderMac":"${raw(e.senderMac)}","unicast":${e.unicast}`;
    case "arp-reply":
      return `,"senderIp":"${raw(e.senderIp)}","senderMac":"${raw(e.senderMac)}","targetIp":"${raw(e.targetIp)}","targetMac":"${raw(e.targetMac)}","proxy":${e.proxy}`;
    case "neigh-state":
      return `,"ip":"${raw(e.ip)}","mac":${strOrNull(e.mac)},"from":"${raw(e.from)}","to":"${raw(e.to)}","reason":"${raw(e.reason)}"`;
    case "route-lookup":
      return (
        `,"destination":"${raw(e.destination)}","table":"${raw(e.table)}","route":${strOrNull(e.route)},"nextHop":${strOrNull(e.nextHop)}` +
        `,"outDevice":${strOrNull(e.outDevice)},"reason":"${raw(e.reason)}","candidates":${num(e.candidates)}`
      );
    case "ip-forward":
      return `,"inDevice":"${raw(e.inDevice)}","outDevice":"${raw(e.outDevice)}","ttl":${num(e.ttl)}`;
    case "ip-local":
      return `,"protocol":"${raw(e.protocol)}","inDevice":"${raw(e.inDevice)}"`;
    case "ip-fragment":
      return `,"outDevice":"${raw(e.outDevice)}","mtu":${num(e.mtu)},"length":${num(e.length)},"fragments":${num(e.fragments)}`;
    case "ip-reassemble":
      return `,"length":${num(e.length)},"fragments":${num(e.fragments)}`;
    case "icmp-echo":
      return `,"id":${num(e.id)},"sequence":${num(e.sequence)},"to":"${raw(e.to)}"`;
    case "icmp-error":
      return `,"type":${num(e.type)},"code":${num(e.code)},"message":"${raw(e.message)}","to":"${raw(e.to)}"`;
    case "socket-deliver":
      return `,"protocol":"${raw(e.protocol)}","port":${num(e.port)},"process":"${raw(e.process)}"`;
    case "tcp-state":
      return `,"local":"${raw(e.local)}","remote":"${raw(e.remote)}","from":"${raw(e.from)}","to":"${raw(e.to)}"`;
    case "netfilter":
      return `,"table":"${raw(e.table)}","chain":"${raw(e.chain)}","rule":"${raw(e.rule)}","target":"${raw(e.target)}"`;
    case "nat":
      return `,"type":"${raw(e.type)}","field":"${raw(e.field)}","from":"${raw(e.from)}","to":"${raw(e.to)}"`;
    case "conntrack":
      return `,"protocol":"${raw(e.protocol)}","orig":"${raw(e.orig)}","reply":"${raw(e.reply)}","state":"${raw(e.state)}"`;
    case "encap":
    case "decap":
      return `,"tunnel":"${raw(e.tunnel)}","outer":"${raw(e.outer)}","vni":${numOrNull(e.vni)},"inner":"${raw(e.inner)}"`;
    case "tunnel-user":
      return `,"process":"${raw(e.process)}","action":"${raw(e.action)}","detail":"${raw(e.detail)}"`;
    case "cni":
      return `,"command":"${raw(e.command)}","plugin":${str(e.plugin)},"containerId":"${raw(e.containerId)}","ifName":${str(e.ifName)},"netns":${str(e.netns)},"detail":${str(e.detail)}`;
    case "probe":
      return `,"pod":${str(e.pod)},"probe":${str(e.probe)},"result":"${raw(e.result)}","ready":${e.ready ? "true" : "false"},"detail":${str(e.detail)}`;
    case "proxy-sync":
      return `,"service":${str(e.service)},"endpoints":${str(e.endpoints)},"detail":${str(e.detail)}`;
    case "drop":
      return `,"reason":"${raw(e.reason)}","detail":"${raw(e.detail)}"`;
    default:
      return assertNever(e);
  }
}

/**
 * The JSON of the last few frames' layers, looked up by identity. The events
 * of one frame come close together (a veth's tx and rx, the bridge's decision,
 * the next port's tx), so a handful of slots catches nearly all repeats; this
 * is several times cheaper than a WeakMap lookup per event, and a frame that
 * comes back after falling out is only serialised again, never wrong.
 */
const RECENT = 8;
const recentLayers: (object | null)[] = new Array<object | null>(RECENT).fill(null);
const recentJson: string[] = new Array<string>(RECENT).fill("");
let nextSlot = 0;

function layersText(layers: object): string {
  for (let i = 0; i < RECENT; i++) if (recentLayers[i] === layers) return recentJson[i]!;
  const json = JSON.stringify(layers);
  recentLayers[nextSlot] = layers;
  recentJson[nextSlot] = json;
  nextSlot = (nextSlot + 1) % RECENT;
  return json;
}

export function serializeEvent(e: TraceEvent): string {
  return (
    `{"seq":${num(e.seq)},"time":${num(e.time)},"kind":"${e.kind}","host":"${raw(e.host)}","namespace":"${raw(e.namespace)}"` +
    `,"device":${strOrNull(e.device)},"packetId":${numOrNull(e.packetId)},"summary":"${raw(e.summary)}"${kindFields(e)}` +
    `,"layers":${e.layers === null ? "null" : layersText(e.layers)}}`
  );
}

/** Events as one JSON array text (how a command's events are stored and sent). */
export function serializeEvents(events: readonly TraceEvent[]): string {
  if (events.length === 0) return "[]";
  let text = "[";
  for (let i = 0; i < events.length; i++) text += (i === 0 ? "" : ",") + serializeEvent(events[i]!);
  return `${text}]`;
}
