/**
 * Capture files for Wireshark/tcpdump, written from simulated frames: classic
 * pcap (one link, microsecond timestamps) and pcapng (one Interface Description
 * Block per simulated interface, named with if_name, so a multi-interface trace
 * keeps where each frame was seen, and each packet's direction in its
 * epb_flags; classic pcap has no place for a direction). Pure: returns bytes and leaves files,
 * clocks and names of capture sessions to the caller. Little-endian, as a
 * capture written on x86 would be. No reading of capture files here.
 */
export const LINKTYPE_ETHERNET = 1;
/** Bare IPv4/IPv6 packets, no link header: what a TUN or IPIP device gives tcpdump. */
export const LINKTYPE_RAW = 101;
/** tcpdump's default snapshot length. */
export const DEFAULT_SNAPLEN = 262144;

export interface CapturedFrame {
  /** Simulated time since the Unix epoch in microseconds; a non-negative integer. */
  readonly timeMicros: number | bigint;
  /** Index into the interfaces given to writePcapng; ignored by writePcap. */
  readonly interfaceIndex: number;
  readonly bytes: Uint8Array;
  /**
   * Received or sent by the interface: pcapng writes it as the packet's
   * epb_flags; classic pcap has no field for it and drops it.
   */
  readonly direction?: "inbound" | "outbound";
}

export interface CaptureInterface {
  /** Shown by Wireshark as the interface name, e.g. "host1/ns-a/eth0". */
  readonly name: string;
  readonly description?: string;
  /** LINKTYPE_ETHERNET (the default) or LINKTYPE_RAW. */
  readonly linkType?: number;
}

export interface PcapOptions {
  readonly snapLength?: number;
  /** Classic pcap's one link type: LINKTYPE_ETHERNET (the default) or LINKTYPE_RAW. */
  readonly linkType?: number;
}

const MAX_MICROS_PCAP = 0x1_0000_0000n * 1_000_000n;

function micros(t: number | bigint): bigint {
  if (typeof t === "number") {
    if (!Number.isSafeInteger(t) || t < 0) throw new RangeError(`capture time ${t} µs is not a non-negative safe integer`);
    return BigInt(t);
  }
  if (t < 0n || t >= 1n << 64n) throw new RangeError(`capture time ${t} µs is outside 0..2^64-1`);
  return t;
}

class Writer {
  readonly bytes: Uint8Array;
  readonly view: DataView;
  offset = 0;
  constructor(length: number) {
    this.bytes = new Uint8Array(length);
    this.view = new DataView(this.bytes.buffer);
  }
  u16(v: number): void {
    this.view.setUint16(this.offset, v, true);
    this.offset += 2;
  }
  u32(v: number): void {
    this.view.setUint32(this.offset, v, true);
    this.offset += 4;
  }
  raw(b: Uint8Array): void {
    this.bytes.set(b, this.offset);
    this.offset += b.length;
  }
  pad4(): void {
    this.offset = (this.offset + 3) & ~3;
  }
}

function snapOf(options?: PcapOptions): number {
  const snap = options?.snapLength ?? DEFAULT_SNAPLEN;
  if (!Number.isInteger(snap) || snap <= 0 || snap > 0xffffffff) throw new RangeError(`snap length ${snap} is not a positive 32-bit integer`);
  return snap;
}

/** Classic libpcap format: magic a1b2c3d4, version 2.4, one link type (Ethernet unless told); frames longer than the snap length are cut. */
export function writePcap(frames: readonly CapturedFrame[], options?: PcapOptions): Uint8Array {
  const snap = snapOf(options);
  let length = 24;
  for (const f of frames) length += 16 + Math.min(f.bytes.length, snap);
  const w = new Writer(length);
  w.u32(0xa1b2c3d4);
  w.u16(2);
  w.u16(4);
  w.u32(0); // thiszone: timestamps are UTC
  w.u32(0); // sigfigs
  w.u32(snap);
  w.u32(options?.linkType ?? LINKTYPE_ETHERNET);
  for (const f of frames) {
    const t = micros(f.timeMicros);
    if (t >= MAX_MICROS_PCAP) throw new RangeError(`capture time ${t} µs does not fit pcap's 32-bit seconds`);
    const captured = Math.min(f.bytes.length, snap);
    w.u32(Number(t / 1_000_000n));
    w.u32(Number(t % 1_000_000n));
    w.u32(captured);
    w.u32(f.bytes.length);
    w.raw(f.bytes.subarray(0, captured));
  }
  return w.bytes;
}

const encoder = new TextEncoder();

/** Length of one option (code, length, value padded to 4). */
function optionLength(value: Uint8Array): number {
  return 4 + ((value.length + 3) & ~3);
}

function writeOption(w: Writer, code: number, value: Uint8Array): void {
  w.u16(code);
  w.u16(value.length);
  w.raw(value);
  w.pad4();
}

const SHB_TYPE = 0x0a0d0d0a;
const IDB_TYPE = 0x00000001;
const EPB_TYPE = 0x00000006;
const OPT_ENDOFOPT = 0;
const SHB_USERAPPL = 4;
const IF_NAME = 2;
const IF_DESCRIPTION = 3;
const IF_TSRESOL = 9;
/** epb_flags: 32 bits whose two lowest give the direction (01 inbound, 10 outbound). */
const EPB_FLAGS = 2;
const EPB_DIRECTION = { inbound: 1, outbound: 2 } as const;
/** An epb_flags option (4-byte header, 4-byte value) and the opt_endofopt after it. */
const EPB_FLAGS_LENGTH = 12;
const USER_APPLICATION = encoder.encode("cnlab");
const TSRESOL_MICROSECONDS = new Uint8Array([6]);

/**
 * pcapng: a Section Header Block, one Interface Description Block per entry of
 * `interfaces` (if_name, optional if_description, if_tsresol = µs), then one
 * Enhanced Packet Block per frame referring to its interfaceIndex.
 */
export function writePcapng(
  interfaces: readonly CaptureInterface[],
  frames: readonly CapturedFrame[],
  options?: PcapOptions,
): Uint8Array {
  const snap = snapOf(options);
  const shbOptions = optionLength(USER_APPLICATION) + 4;
  const shbLength = 28 + shbOptions;
  const idbs = interfaces.map((itf) => {
    const name = encoder.encode(itf.name);
    const description = itf.description === undefined ? null : encoder.encode(itf.description);
    const optionsLength =
      optionLength(name) + (description === null ? 0 : optionLength(description)) + optionLength(TSRESOL_MICROSECONDS) + 4;
    return { name, description, linkType: itf.linkType ?? LINKTYPE_ETHERNET, length: 20 + optionsLength };
  });
  let length = shbLength;
  for (const idb of idbs) length += idb.length;
  for (const f of frames) {
    if (!Number.isInteger(f.interfaceIndex) || f.interfaceIndex < 0 || f.interfaceIndex >= interfaces.length) {
      throw new RangeError(`frame interfaceIndex ${f.interfaceIndex} is not one of the ${interfaces.length} interfaces`);
    }
    length += 32 + ((Math.min(f.bytes.length, snap) + 3) & ~3) + (f.direction === undefined ? 0 : EPB_FLAGS_LENGTH);
  }
  const w = new Writer(length);
  w.u32(SHB_TYPE);
  w.u32(shbLength);
  w.u32(0x1a2b3c4d);
  w.u16(1);
  w.u16(0);
  w.u32(0xffffffff); // section length unknown (-1), as every writer streaming a capture says
  w.u32(0xffffffff);
  writeOption(w, SHB_USERAPPL, USER_APPLICATION);
  w.u32(OPT_ENDOFOPT);
  w.u32(shbLength);
  for (const idb of idbs) {
    w.u32(IDB_TYPE);
    w.u32(idb.length);
    w.u16(idb.linkType);
    w.u16(0);
    w.u32(snap);
    writeOption(w, IF_NAME, idb.name);
    if (idb.description !== null) writeOption(w, IF_DESCRIPTION, idb.description);
    writeOption(w, IF_TSRESOL, TSRESOL_MICROSECONDS);
    w.u32(OPT_ENDOFOPT);
    w.u32(idb.length);
  }
  for (const f of frames) {
    const t = micros(f.timeMicros);
    const captured = Math.min(f.bytes.length, snap);
    const blockLength = 32 + ((captured + 3) & ~3) + (f.direction === undefined ? 0 : EPB_FLAGS_LENGTH);
    w.u32(EPB_TYPE);
    w.u32(blockLength);
    w.u32(f.interfaceIndex);
    w.u32(Number(t >> 32n));
    w.u32(Number(t & 0xffffffffn));
    w.u32(captured);
    w.u32(f.bytes.length);
    w.raw(f.bytes.subarray(0, captured));
    w.pad4();
    if (f.direction !== undefined) {
      w.u16(EPB_FLAGS);
      w.u16(4);
      w.u32(EPB_DIRECTION[f.direction]);
      w.u32(OPT_ENDOFOPT);
    }
    w.u32(blockLength);
  }
  return w.bytes;
}
