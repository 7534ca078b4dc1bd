/**
 * A strict reader of the capture files the server writes, written from the
 * file-format specifications (libpcap; pcapng: SHB, IDB, EPB) rather than
 * from our writer, so tests decode what a capture tool would read. Throws on
 * anything out of place: a wrong magic, a block whose two lengths differ,
 * unknown block types, an EPB pointing at a missing interface.
 */

export interface ReadFrame {
  interface: number;
  /** Microseconds since the epoch. */
  time: bigint;
  originalLength: number;
  bytes: Uint8Array;
  /** pcapng's epb_flags, when the packet block has them (bits 0-1: 1 inbound, 2 outbound). */
  flags?: number;
}

export interface PcapFile {
  linkType: number;
  snapLength: number;
  frames: ReadFrame[];
}

export interface PcapngInterface {
  linkType: number;
  snapLength: number;
  name: string | undefined;
  tsresol: number | undefined;
}

export interface PcapngFile {
  interfaces: PcapngInterface[];
  frames: ReadFrame[];
}

function view(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export function readPcap(bytes: Uint8Array): PcapFile {
  const v = view(bytes);
  if (v.getUint32(0, true) !== 0xa1b2c3d4) throw new Error(`not a little-endian microsecond pcap: magic ${v.getUint32(0, true).toString(16)}`);
  if (v.getUint16(4, true) !== 2 || v.getUint16(6, true) !== 4) throw new Error("pcap version is not 2.4");
  const snapLength = v.getUint32(16, true);
  const linkType = v.getUint32(20, true);
  const frames: ReadFrame[] = [];
  let at = 24;
  while (at < bytes.length) {
    if (at + 16 > bytes.length) throw new Error(`truncated record header at ${at}`);
    const seconds = v.getUint32(at, true);
    const micros = v.getUint32(at + 4, true);
    if (micros >= 1_000_000) throw new Error(`microseconds ${micros} out of range at ${at}`);
    const captured = v.getUint32(at + 8, true);
    const originalLength = v.getUint32(at + 12, true);
    if (captured > snapLength || captured > originalLength) throw new Error(`bad captured length ${captured} at ${at}`);
    if (at + 16 + captured > bytes.length) throw new Error(`truncated frame at ${at}`);
    frames.push({ interface: 0, time: BigInt(seconds) * 1_000_000n + BigInt(micros), originalLength, bytes: bytes.slice(at + 16, at + 16 + captured) });
    at += 16 + captured;
  }
  return { linkType, snapLength, frames };
}

export function readPcapng(bytes: Uint8Array): PcapngFile {
  const v = view(bytes);
  const interfaces: PcapngInterface[] = [];
  const frames: ReadFrame[] = [];
  let at = 0;
  let sawSection = false;
  while (at < bytes.length) {
    const type = v.getUint32(at, true);
    const length = v.getUint32(at + 4, true);
    if (length % 4 !== 0 || length < 12 || at + length > bytes.length) throw new Error(`bad block length ${length} at ${at}`);
    if (v.getUint32(at + length - 4, true) !== length) throw new Error(`block at ${at}: trailing length differs`);
    const body = at + 8;
    switch (type) {
      case 0x0a0d0d0a: {
        if (v.getUint32(body, true) !== 0x1a2b3c4d) throw new Error("section is not little-endian");
        if (v.getUint16(body + 4, true) !== 1) throw new Error("pcapng major version is not 1");
        sawSection = true;
        readOptions(bytes, body + 16, at + length - 4);
        break;
      }
      case 0x00000001: {
        if (!sawSection) throw new Error("interface block before the section header");
        const options = readOptions(bytes, body + 8, at + length - 4);
        const name = options.get(2);
        const tsresol = options.get(9);
        interfaces.push({
          linkType: v.getUint16(body, true),
          snapLength: v.getUint32(body + 4, true),
          name: name === undefined ? undefined : new TextDecoder("utf-8", { fatal: true }).decode(name),
          tsresol: tsresol?.[0],
        });
        break;
      }
      case 0x00000006: {
        const itf = v.getUint32(body, true);
        if (itf >= interfaces.length) throw new Error(`packet for interface ${itf} of ${interfaces.length}`);
        const time = (BigInt(v.getUint32(body + 4, true)) << 32n) | BigInt(v.getUint32(body + 8, true));
        const captured = v.getUint32(body + 12, true);
        const originalLength = v.getUint32(body + 16, true);
        if (body + 20 + captured > at + length - 4) throw new Error(`packet data overruns its block at ${at}`);
        const optionsAt = body + 20 + ((captured + 3) & ~3);
        const flags = optionsAt < at + length - 4 ? readOptions(bytes, optionsAt, at + length - 4).get(2) : undefined;
        if (flags !== undefined && flags.length !== 4) throw new Error(`epb_flags of ${flags.length} bytes at ${at}`);
        const frame: ReadFrame = { interface: itf, time, originalLength, bytes: bytes.slice(body + 20, body + 20 + captured) };
        if (flags !== undefined) frame.flags = view(flags).getUint32(0, true);
        frames.push(frame);
        break;
      }
      default:
        throw new Error(`unexpected block type ${type.toString(16)} at ${at}`);
    }
    at += length;
  }
  if (!sawSection) throw new Error("no section header");
  return { interfaces, frames };
}

/** Options up to opt_endofopt: code → value. */
function readOptions(bytes: Uint8Array, from: number, to: number): Map<number, Uint8Array> {
  const v = view(bytes);
  const options = new Map<number, Uint8Array>();
  let at = from;
  while (at < to) {
    const code = v.getUint16(at, true);
    const length = v.getUint16(at + 2, true);
    if (code === 0) return options;
    options.set(code, bytes.slice(at + 4, at + 4 + length));
    at += 4 + ((length + 3) & ~3);
  }
  throw new Error("options without opt_endofopt");
}
