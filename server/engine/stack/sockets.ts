/**
 * The sockets of one namespace: TCP listeners and connections, UDP sockets,
 * ping (ICMP echo) sockets and raw TCP sockets (traceroute -T), with the kernel's bind rules. A socket's owner is
 * a simulated process (nginx, curl, ping) that reacts through callbacks.
 * Every socket counts against the session's socket limit; opening one past it
 * is refused, as socket() is when the kernel has no room.
 */
import type { IcmpError, TcpSegment } from "../link/payload.js";
import { ObjectQuota, type LimitReached } from "../object-quota.js";

export type BindError = "EADDRINUSE";

export interface TcpListener {
  address: number; // 0 = INADDR_ANY
  port: number;
  process: string;
  /** What the process answers on an accepted connection. */
  serve: (request: Uint8Array) => Uint8Array | null;
}

export type TcpState =
  | "SYN-SENT"
  | "SYN-RECV"
  | "ESTAB"
  | "FIN-WAIT-1"
  | "FIN-WAIT-2"
  | "CLOSE-WAIT"
  | "LAST-ACK"
  | "TIME-WAIT"
  | "CLOSED";

export interface TcpConnectionEvents {
  onConnected?: () => void;
  onData?: (data: Uint8Array) => void;
  onClosed?: () => void;
  /** Refused (RST), unreachable (ICMP), or timed out. */
  onError?: (error: "ECONNREFUSED" | "EHOSTUNREACH" | "ENETUNREACH" | "ETIMEDOUT") => void;
}

export interface TcpConnection {
  local: number;
  localPort: number;
  remote: number;
  remotePort: number;
  state: TcpState;
  /** Next sequence number to send, and next expected from the peer. */
  sndNxt: number;
  rcvNxt: number;
  process: string;
  listener: TcpListener | null;
  events: TcpConnectionEvents;
  synRetries: number;
  retransmitSerial: number;
  /** Whether both ends agreed on timestamps (RFC 7323): every segment after the SYNs carries them. */
  timestamps: boolean;
  /** Added to the clock's milliseconds for our TSval (Linux's per-connection tsoffset). */
  tsOffset: number;
  /** The peer's last TSval, echoed as our TSecr. */
  tsRecent: number;
  /** The receive window last advertised (tp->rcv_wnd, in bytes), and rcvNxt when it was (tp->rcv_wup). */
  rcvWnd: number;
  rcvWup: number;
}

export interface UdpSocket {
  address: number;
  port: number;
  process: string;
  onDatagram: (from: number, fromPort: number, data: Uint8Array, packetId: number) => void;
  /** Set by a socket that reads ICMP errors (IP_RECVERR, as traceroute's): the errors its datagrams caused. */
  onError?: (from: number, error: IcmpError) => void;
}

export interface PingSocket {
  id: number;
  onReply: (from: number, seq: number, ttl: number, bytes: number) => void;
  onError: (from: number, error: IcmpError) => void;
  onLocalError: (seq: number, error: "EHOSTUNREACH") => void;
}

/**
 * A raw IPPROTO_TCP socket as traceroute -T opens one for each probe: it
 * sees a copy of every TCP segment to its port (raw_v4_input; the kernel
 * still answers the segment itself) and, with IP_RECVERR, the ICMP errors
 * its probe caused.
 */
export interface RawTcpSocket {
  port: number;
  process: string;
  onSegment: (from: number, seg: TcpSegment) => void;
  onError: (from: number, error: IcmpError) => void;
}

function conflicts(a: { address: number; port: number }, address: number, port: number): boolean {
  return a.port === port && (a.address === 0 || address === 0 || a.address === address);
}

export class SocketTable {
  readonly tcpListeners: TcpListener[] = [];
  readonly tcpConnections: TcpConnection[] = [];
  readonly udp: UdpSocket[] = [];
  /** Open and close them with openPing and closePing, which count them. */
  readonly ping = new Map<number, PingSocket>();
  /** Open them with openRawTcp; closeProcess closes them. */
  readonly rawTcp: RawTcpSocket[] = [];

  constructor(private quota: ObjectQuota = ObjectQuota.unlimited()) {}

  listenTcp(l: TcpListener): BindError | LimitReached | null {
    if (this.tcpListeners.some((x) => conflicts(x, l.address, l.port))) return "EADDRINUSE";
    const full = this.quota.take("sockets");
    if (full !== null) return full;
    this.tcpListeners.push(l);
    return null;
  }

  bindUdp(s: UdpSocket): BindError | LimitReached | null {
    if (this.udp.some((x) => conflicts(x, s.address, s.port))) return "EADDRINUSE";
    const full = this.quota.take("sockets");
    if (full !== null) return full;
    this.udp.push(s);
    return null;
  }

  /** Whether one more socket fits the session's limit (asked before a connection draws its port and sequence number). */
  room(): LimitReached | null {
    return this.quota.check({ sockets: 1 });
  }

  /** A connection's socket: one connect() makes, or one a listener accepts. */
  addConnection(c: TcpConnection): LimitReached | null {
    const full = this.quota.take("sockets");
    if (full === null) this.tcpConnections.push(c);
    return full;
  }

  /** The connection reached CLOSED: its socket is freed. */
  removeConnection(c: TcpConnection): void {
    const i = this.tcpConnections.indexOf(c);
    if (i < 0) return;
    this.tcpConnections.splice(i, 1);
    this.quota.release("sockets");
  }

  /** ping's ICMP socket, for the duration of one ping. */
  openPing(s: PingSocket): LimitReached | null {
    if (this.ping.has(s.id)) {
      this.ping.set(s.id, s);
      return null;
    }
    const full = this.quota.take("sockets");
    if (full === null) this.ping.set(s.id, s);
    return full;
  }

  openRawTcp(s: RawTcpSocket): LimitReached | null {
    const full = this.quota.take("sockets");
    if (full === null) this.rawTcp.push(s);
    return full;
  }

  findRawTcp(port: number): RawTcpSocket | undefined {
    return this.rawTcp.find((s) => s.port === port);
  }

  closePing(id: number): void {
    if (this.ping.delete(id)) this.quota.release("sockets");
  }

  findListener(address: number, port: number): TcpListener | undefined {
    return this.tcpListeners.find((l) => l.port === port && (l.address === 0 || l.address === address));
  }

  findConnection(local: number, localPort: number, remote: number, remotePort: number): TcpConnection | undefined {
    return this.tcpConnections.find((c) => c.localPort === localPort && c.remotePort === remotePort && c.remote === remote && c.local === local);
  }

  findUdp(address: number, port: number): UdpSocket | undefined {
    return this.udp.find((s) => s.port === port && (s.address === 0 || s.address === address));
  }

  /** Closes every socket a process owns (the process exited). */
  closeProcess(process: string): void {
    const count = () => this.tcpListeners.length + this.udp.length + this.rawTcp.length;
    const before = count();
    for (let i = this.tcpListeners.length - 1; i >= 0; i--) if (this.tcpListeners[i]!.process === process) this.tcpListeners.splice(i, 1);
    for (let i = this.udp.length - 1; i >= 0; i--) if (this.udp[i]!.process === process) this.udp.splice(i, 1);
    for (let i = this.rawTcp.length - 1; i >= 0; i--) if (this.rawTcp[i]!.process === process) this.rawTcp.splice(i, 1);
    this.quota.release("sockets", before - count());
  }

  /** The namespace is deleted: its sockets stop counting, and nothing done to the table later counts. */
  dispose(): void {
    this.quota.release("sockets", this.tcpListeners.length + this.tcpConnections.length + this.udp.length + this.ping.size + this.rawTcp.length);
    this.quota = ObjectQuota.unlimited();
  }

  portInUse(port: number): boolean {
    return this.tcpConnections.some((c) => c.localPort === port) || this.tcpListeners.some((l) => l.port === port);
  }
}
