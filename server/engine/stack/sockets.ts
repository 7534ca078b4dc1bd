/**
 * The sockets of one namespace: TCP listeners and connections, UDP sockets and
 * ping (ICMP echo) sockets, with the kernel's bind rules. A socket's owner is
 * a simulated process (nginx, curl, ping) that reacts through callbacks.
 */
import type { IcmpError } from "../link/payload.js";

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
}

export interface UdpSocket {
  address: number;
  port: number;
  process: string;
  onDatagram: (from: number, fromPort: number, data: Uint8Array, packetId: number) => void;
}

export interface PingSocket {
  id: number;
  onReply: (from: number, seq: number, ttl: number, bytes: number) => void;
  onError: (from: number, error: IcmpError) => void;
  onLocalError: (seq: number, error: "EHOSTUNREACH") => void;
}

function conflicts(a: { address: number; port: number }, address: number, port: number): boolean {
  return a.port === port && (a.address === 0 || address === 0 || a.address === address);
}

export class SocketTable {
  readonly tcpListeners: TcpListener[] = [];
  readonly tcpConnections: TcpConnection[] = [];
  readonly udp: UdpSocket[] = [];
  readonly ping = new Map<number, PingSocket>();

  listenTcp(l: TcpListener): BindError | null {
    if (this.tcpListeners.some((x) => conflicts(x, l.address, l.port))) return "EADDRINUSE";
    this.tcpListeners.push(l);
    return null;
  }

  bindUdp(s: UdpSocket): BindError | null {
    if (this.udp.some((x) => conflicts(x, s.address, s.port))) return "EADDRINUSE";
    this.udp.push(s);
    return null;
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
    for (let i = this.tcpListeners.length - 1; i >= 0; i--) if (this.tcpListeners[i]!.process === process) this.tcpListeners.splice(i, 1);
    for (let i = this.udp.length - 1; i >= 0; i--) if (this.udp[i]!.process === process) this.udp.splice(i, 1);
  }

  portInUse(port: number): boolean {
    return this.tcpConnections.some((c) => c.localPort === port) || this.tcpListeners.some((l) => l.port === port);
  }
}
