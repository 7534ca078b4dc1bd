/**
 * Big-endian reads and writes on a Uint8Array, shared by every encoder and decoder.
 * Emitters take a Uint8Array (not a DataView) because the checksum code reads the
 * same buffer and one view type avoids allocating a DataView per emitted header;
 * V8 inlines these into plain byte stores. Nothing here checks bounds: callers
 * size their buffers first.
 */

export function get16(b: Uint8Array, o: number): number {
  return (b[o]! << 8) | b[o + 1]!;
}

export function get32(b: Uint8Array, o: number): number {
  return ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
}

export function put16(b: Uint8Array, o: number, v: number): void {
  b[o] = v >>> 8;
  b[o + 1] = v;
}

export function put32(b: Uint8Array, o: number, v: number): void {
  b[o] = v >>> 24;
  b[o + 1] = v >>> 16;
  b[o + 2] = v >>> 8;
  b[o + 3] = v;
}

/** "0x0800"-style text for error messages and summaries (not a hot path). */
export function hex(value: number, digits: number): string {
  return "0x" + value.toString(16).padStart(digits, "0");
}
