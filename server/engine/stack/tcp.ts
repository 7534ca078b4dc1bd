/**
 * Enough TCP for the chapter's exercises: listening sockets with bind
 * conflicts, the three-way handshake (the SYN retransmitted 1 s apart five
 * times, then 2, 4… s apart, as tcp_syn_linear_timeouts and tcp_syn_retries
 * make it), one request/response exchange, the FIN handshake with
 * TIME-WAIT, RST for a closed port and ICMP errors aborting a connect. Data is
 * never lost inside the simulator, so data retransmission is not modelled.
 */
import type { Device } from "../link/device.js";
import type { Frame } from "../link/frame.js";
import type { IcmpError, Ipv4Payload, QuotedDatagram, TcpFlags, TcpSegment } from "../link/payload.js";
import type { LimitReached } from "../object-quota.js";
import { formatIpv4 } from "../wire/ipv4-address.js";
import { confirmNeighbour } from "./arp.js";
import { ipOutput } from "./ipv4.js";
import type { NetNamespace } from "./namespace.js";
import type { TcpConnection, TcpConnectionEvents, TcpListener, TcpState } from "./sockets.js";
import { dropPacket } from "./drop.js";
import { emitSocketDeliver } from "./socket-deliver.js";

const MSS = 1460;
/** The shift Linux announces with tcp_rmem's default maximum (6 MB). */
const WINDOW_SCALE = 7;
/**
 * The receive windows Linux opens with (tcp_select_initial_window with
 * tcp_rmem's defaults): the client's 64240 (44 MSS), the server's 65160 (45
 * segments of 1448, the MSS less timestamps). The SYN and SYN-ACK carry them
 * unscaled; they are also each side's rcv_ssthresh for a short exchange.
 */
const INITIAL_WINDOW = { client: 64240, server: 65160 } as const;
/**
 * net.ipv4.tcp_syn_retries and tcp_syn_linear_timeouts (6 and 4): a
 * connecting socket keeps its first RTO (1 s) for its first retransmissions,
 * then doubles it, and gives up after syn_retries + linear_timeouts of them
 * (tcp_write_timeout): SYNs at 0, 1, 2, 3, 4, 5, 7, 11, 19, 35, 67 s,
 * ETIMEDOUT at 131 s. (Linux's timer wheel fires each a little late, some
 * 20 ms for the 1 s ones and a second for the 32 s one, 134 s in all, so a
 * tool's timeout of a whole number of seconds comes first.)
 */
const SYN_RETRIES = 6;
const SYN_LINEAR_TIMEOUTS = 4;
const TIME_WAIT = 60_000_000;
const NO_FLAGS: TcpFlags = { syn: false, ack: false, fin: false, rst: false, psh: false };
const EMPTY = new Uint8Array(0);

const endpoint = (ip: number, port: number) => `${formatIpv4(ip)}:${port}`;

function setState(ns: NetNamespace, c: TcpConnection, to: TcpState): void {
  const from = c.state;
  c.state = to;
  ns.ctx.trace.emit({
    seq: 0,
    time: 0,
    kind: "tcp-state",
    host: ns.host,
    namespace: ns.name,
    device: null,
    packetId: null,
    layers: null,
    summary: `tcp ${endpoint(c.local, c.localPort)} ↔ ${endpoint(c.remote, c.remotePort)}: ${from} → ${to}`,
    local: endpoint(c.local, c.localPort),
    remote: endpoint(c.remote, c.remotePort),
    from,
    to,
  });
  if (to === "CLOSED") ns.sockets.removeConnection(c);
}

/** TSval: the clock in milliseconds plus the connection's offset (tcp_time_stamp_ts + tsoffset). */
function tsVal(ns: NetNamespace, c: TcpConnection): number {
  return (c.tsOffset + Math.floor(ns.ctx.scheduler.now / 1000)) >>> 0;
}

/**
 * The window a segment advertises (tcp_select_window), held to curl captures
 * in test/fixtures/linux (capture-curl-*.pcap): __tcp_select_window offers
 * rcv_ssthresh rounded down to the scale (64128, 65152), but a window never
 * shrinks below what is still open of the last one advertised (rcv_wup +
 * rcv_wnd − rcv_nxt), rounded up to the scale. So a client says 502 (64240
 * rounded up) until 128 bytes or more come in at once, then 501; a server 509.
 * Not modelled: a segment of rcv_mss (536) bytes or more makes Linux rescale
 * its windows by the received buffer's truesize (tcp_measure_rcv_mss).
 */
function window(c: TcpConnection, syn: boolean): number {
  const initial = c.listener === null ? INITIAL_WINDOW.client : INITIAL_WINDOW.server;
  if (syn) return initial;
  const unit = 1 << WINDOW_SCALE;
  const offered = Math.floor(initial / unit) * unit;
  const left = (c.rcvWup + c.rcvWnd - c.rcvNxt) >>> 0;
  const open = left > 0x7fffffff ? 0 : left;
  const win = offered < open ? Math.ceil(open / unit) * unit : offered;
  c.rcvWnd = win;
  c.rcvWup = c.rcvNxt;
  return win >> WINDOW_SCALE;
}

function send(ns: NetNamespace, c: TcpConnection, flags: Partial<TcpFlags>, data: Uint8Array = EMPTY, seq = c.sndNxt): void {
  const syn = flags.syn === true;
  // A SYN offers what Linux's does (tcp_syn_options); a SYN-ACK only what the SYN offered.
  const timestamps = syn && c.listener === null ? true : c.timestamps;
  const seg: TcpSegment = {
    kind: "tcp",
    srcPort: c.localPort,
    dstPort: c.remotePort,
    seq,
    ack: flags.ack ? c.rcvNxt : 0,
    flags: { ...NO_FLAGS, ...flags },
    window: window(c, syn),
    options: {
      ...(syn ? { mss: MSS, sackPermitted: true, windowScale: WINDOW_SCALE } : {}),
      ...(timestamps ? { timestamps: { value: tsVal(ns, c), echo: c.tsRecent } } : {}),
    },
    data,
  };
  // A SYN-ACK leaves from the listener's request socket (ip_build_and_send_pkt), not a connected socket
  // with its own id counter: with DF its IP id is 0.
  ipOutput(ns, c.remote, seg, { src: c.local, zeroIdIfDf: syn && flags.ack === true });
}

/** The peer's TSval to echo (tcp_store_ts_recent; no PAWS or RTT measurement modelled). */
function noteTimestamp(c: TcpConnection, seg: TcpSegment): void {
  if (c.timestamps && seg.options.timestamps !== undefined) c.tsRecent = seg.options.timestamps.value;
}

function ephemeralPort(ns: NetNamespace): number {
  // ip_local_port_range 32768–60999
  for (;;) {
    const port = ns.ctx.random.int(32768, 60999);
    if (!ns.sockets.portInUse(port)) return port;
  }
}

/** connect(): returns the connection, or ENETUNREACH when no route exists, or the session's socket limit (nothing is sent). */
export function tcpConnect(ns: NetNamespace, remote: number, remotePort: number, process: string, events: TcpConnectionEvents): TcpConnection | "ENETUNREACH" | LimitReached {
  const full = ns.sockets.room();
  if (full !== null) return full;
  const lookup = ns.routes.lookup(remote, (r) => r.table === "local" || ns.routeUsable(r));
  if (lookup.route === null) return "ENETUNREACH";
  const r = lookup.route;
  const local = r.table === "local" ? remote : ns.sourceFor(ns.device(r.dev)!, r, remote);
  const c: TcpConnection = {
    local,
    localPort: ephemeralPort(ns),
    remote,
    remotePort,
    state: "CLOSED",
    sndNxt: ns.ctx.random.nextUint32(),
    rcvNxt: 0,
    process,
    listener: null,
    events,
    synRetries: 0,
    retransmitSerial: 0,
    timestamps: false,
    tsOffset: 0,
    tsRecent: 0,
    rcvWnd: INITIAL_WINDOW.client,
    rcvWup: 0,
  };
  // Linux draws the offset at random per connection; the ISN already is, so it serves (no extra draw).
  c.tsOffset = c.sndNxt;
  ns.sockets.addConnection(c);
  setState(ns, c, "SYN-SENT");
  sendSyn(ns, c);
  return c;
}

function sendSyn(ns: NetNamespace, c: TcpConnection): void {
  send(ns, c, { syn: true }, EMPTY, c.sndNxt);
  const serial = ++c.retransmitSerial;
  const delay = 1_000_000 * 2 ** Math.max(0, c.synRetries - SYN_LINEAR_TIMEOUTS);
  ns.ctx.scheduler.after(delay, () => {
    if (c.retransmitSerial !== serial || c.state !== "SYN-SENT") return;
    if (c.synRetries >= SYN_RETRIES + SYN_LINEAR_TIMEOUTS) {
      setState(ns, c, "CLOSED");
      c.events.onError?.("ETIMEDOUT");
      return;
    }
    c.synRetries++;
    sendSyn(ns, c);
  });
}

/** The application closes its side (close() after the exchange). */
export function tcpClose(ns: NetNamespace, c: TcpConnection): void {
  if (c.state === "ESTAB") {
    setState(ns, c, "FIN-WAIT-1");
    send(ns, c, { fin: true, ack: true });
    c.sndNxt = (c.sndNxt + 1) >>> 0;
  } else if (c.state === "CLOSE-WAIT") {
    setState(ns, c, "LAST-ACK");
    send(ns, c, { fin: true, ack: true });
    c.sndNxt = (c.sndNxt + 1) >>> 0;
  } else if (c.state === "SYN-SENT") {
    setState(ns, c, "CLOSED");
  }
}

export function tcpSend(ns: NetNamespace, c: TcpConnection, data: Uint8Array): void {
  send(ns, c, { psh: true, ack: true }, data);
  c.sndNxt = (c.sndNxt + data.length) >>> 0;
}

function deliver(ns: NetNamespace, dev: Device, frame: Frame, c: TcpConnection, what: string): void {
  emitSocketDeliver(ns, dev, frame, `${what} for ${endpoint(c.local, c.localPort)} delivered to ${c.process}`, "tcp", c.localPort, c.process);
}

export function tcpInput(ns: NetNamespace, dev: Device, frame: Frame, p: Ipv4Payload, seg: TcpSegment): void {
  // A raw socket gets its copy first (raw_v4_input); the segment then goes on to TCP as usual.
  const raw = ns.sockets.findRawTcp(seg.dstPort);
  if (raw !== undefined) {
    emitSocketDeliver(ns, dev, frame, `tcp segment from ${endpoint(p.src, seg.srcPort)} copied to ${raw.process}'s raw socket`, "tcp", seg.dstPort, raw.process);
    raw.onSegment(p.src, seg);
  }
  const c = ns.sockets.findConnection(p.dst, seg.dstPort, p.src, seg.srcPort);
  if (c === undefined) {
    const listener = seg.flags.syn && !seg.flags.ack ? ns.sockets.findListener(p.dst, seg.dstPort) : undefined;
    if (listener !== undefined) return accept(ns, dev, frame, p, seg, listener);
    refuse(ns, dev, frame, p, seg);
    return;
  }
  if (seg.flags.rst) {
    deliver(ns, dev, frame, c, "RST");
    const wasConnecting = c.state === "SYN-SENT";
    setState(ns, c, "CLOSED");
    c.events.onError?.(wasConnecting ? "ECONNREFUSED" : "ECONNREFUSED");
    return;
  }
  confirmNeighbour(ns, dev.name, p.src);
  noteTimestamp(c, seg);
  switch (c.state) {
    case "SYN-SENT":
      if (seg.flags.syn && seg.flags.ack) {
        deliver(ns, dev, frame, c, "SYN-ACK");
        c.sndNxt = (c.sndNxt + 1) >>> 0;
        c.rcvNxt = (seg.seq + 1) >>> 0;
        c.rcvWup = c.rcvNxt;
        if (seg.options.timestamps !== undefined) {
          c.timestamps = true;
          c.tsRecent = seg.options.timestamps.value;
        }
        setState(ns, c, "ESTAB");
        send(ns, c, { ack: true });
        c.events.onConnected?.();
      }
      return;
    case "SYN-RECV":
      if (seg.flags.ack) {
        setState(ns, c, "ESTAB");
        if (seg.data.length > 0) receiveData(ns, dev, frame, c, seg);
      }
      return;
    case "ESTAB":
    case "FIN-WAIT-1":
    case "FIN-WAIT-2":
      if (seg.data.length > 0) receiveData(ns, dev, frame, c, seg);
      if (c.state === "FIN-WAIT-1" && seg.flags.ack && seg.ack === c.sndNxt) setState(ns, c, "FIN-WAIT-2");
      if (seg.flags.fin) {
        c.rcvNxt = (c.rcvNxt + 1) >>> 0;
        if (c.state === "ESTAB") {
          deliver(ns, dev, frame, c, "FIN");
          setState(ns, c, "CLOSE-WAIT");
          c.events.onClosed?.();
          // A server closes its side as soon as the peer has (nginx after a response): the FIN
          // carries the ACK Linux had delayed (tcp_fin enters pingpong mode). Anyone else acks now.
          if (c.listener !== null) tcpClose(ns, c);
          else send(ns, c, { ack: true });
        } else {
          send(ns, c, { ack: true });
          setState(ns, c, "TIME-WAIT");
          ns.ctx.scheduler.after(TIME_WAIT, () => {
            if (c.state === "TIME-WAIT") setState(ns, c, "CLOSED");
          });
          c.events.onClosed?.();
        }
      }
      return;
    case "LAST-ACK":
      if (seg.flags.ack) setState(ns, c, "CLOSED");
      return;
    case "CLOSE-WAIT":
    case "TIME-WAIT":
    case "CLOSED":
      return;
  }
}

/**
 * Data in: acknowledged at once, as Linux does for the first data of a
 * connection (quick-ACK mode, tcp_event_data_recv), before the application
 * has read it; a server then answers in a segment of its own.
 */
function receiveData(ns: NetNamespace, dev: Device, frame: Frame, c: TcpConnection, seg: TcpSegment): void {
  deliver(ns, dev, frame, c, `${seg.data.length} bytes`);
  c.rcvNxt = (c.rcvNxt + seg.data.length) >>> 0;
  send(ns, c, { ack: true });
  if (c.listener !== null) {
    const response = c.listener.serve(seg.data);
    if (response !== null && response.length > 0) tcpSend(ns, c, response);
  } else {
    c.events.onData?.(seg.data);
  }
}

function accept(ns: NetNamespace, dev: Device, frame: Frame, p: Ipv4Payload, seg: TcpSegment, listener: TcpListener): void {
  const full = ns.sockets.room();
  if (full !== null) {
    // No socket for the new connection: the SYN is dropped unanswered, as on a listen queue overflow; the client retries.
    dropPacket(ns, {
      device: dev.name,
      packetId: frame.packetId,
      layers: frame.layers,
      summary: `SYN for ${endpoint(p.dst, seg.dstPort)} dropped: the session has no room for another socket (limit ${full.limit})`,
      reason: "socket-limit",
      detail: `limit of ${full.limit} sockets reached`,
    });
    return;
  }
  const c: TcpConnection = {
    local: p.dst,
    localPort: seg.dstPort,
    remote: p.src,
    remotePort: seg.srcPort,
    state: "CLOSED",
    sndNxt: ns.ctx.random.nextUint32(),
    rcvNxt: (seg.seq + 1) >>> 0,
    process: listener.process,
    listener,
    events: {},
    synRetries: 0,
    retransmitSerial: 0,
    // tcp_synack_options: timestamps only when the SYN offered them.
    timestamps: seg.options.timestamps !== undefined,
    tsOffset: 0,
    tsRecent: seg.options.timestamps?.value ?? 0,
    rcvWnd: INITIAL_WINDOW.server,
    rcvWup: (seg.seq + 1) >>> 0,
  };
  c.tsOffset = c.sndNxt;
  ns.sockets.addConnection(c);
  deliver(ns, dev, frame, c, "SYN");
  setState(ns, c, "SYN-RECV");
  send(ns, c, { syn: true, ack: true });
  c.sndNxt = (c.sndNxt + 1) >>> 0;
}

/** No socket: answer with RST (tcp_v4_send_reset), unless the segment is itself a RST. */
function refuse(ns: NetNamespace, dev: Device, frame: Frame, p: Ipv4Payload, seg: TcpSegment): void {
  dropPacket(ns, {
    device: dev.name,
    packetId: frame.packetId,
    layers: frame.layers,
    summary: `nothing listens on ${endpoint(p.dst, seg.dstPort)}/tcp${seg.flags.rst ? "" : ": the kernel answers with RST"}`,
    reason: "port-closed",
    detail: `tcp port ${seg.dstPort} closed`,
  });
  if (seg.flags.rst) return;
  const len = seg.data.length + (seg.flags.syn ? 1 : 0) + (seg.flags.fin ? 1 : 0);
  const rst: TcpSegment = seg.flags.ack
    ? { kind: "tcp", srcPort: seg.dstPort, dstPort: seg.srcPort, seq: seg.ack, ack: 0, flags: { ...NO_FLAGS, rst: true }, window: 0, options: {}, data: EMPTY }
    : { kind: "tcp", srcPort: seg.dstPort, dstPort: seg.srcPort, seq: 0, ack: (seg.seq + len) >>> 0, flags: { ...NO_FLAGS, rst: true, ack: true }, window: 0, options: {}, data: EMPTY };
  // The RST leaves from the namespace's TCP control socket, which says IP_PMTUDISC_DO so that it has DF and IP id 0 (tcp_sk_init).
  ipOutput(ns, p.src, rst, { src: p.dst, pmtuDisc: "do" });
}

/** An ICMP error about a segment we sent: a connect in progress fails (tcp_v4_err). True when a socket took it. */
export function tcpError(ns: NetNamespace, q: QuotedDatagram, error: IcmpError): boolean {
  const c = ns.sockets.findConnection(q.src, q.srcPort!, q.dst, q.dstPort!);
  if (c === undefined) return false;
  if (c.state === "SYN-SENT" || c.state === "SYN-RECV") {
    setState(ns, c, "CLOSED");
    c.events.onError?.(error.type === 3 && error.code === 0 ? "ENETUNREACH" : "EHOSTUNREACH");
  }
  return true;
}
