/**
 * How the command-line tools read an IPv4 address typed by a student, which is
 * looser than the engine's own dotted-quad parser (wire/ipv4-address.ts) and
 * differs between tool families:
 *   - iproute2 (get_addr_ipv4): one to four parts separated by dots, each a C
 *     number (decimal, 0x hex, leading-0 octal) of at most 255; missing
 *     trailing parts are zero, so "10/8" means 10.0.0.0/8.
 *   - net-tools (inet_aton): one to four parts, the last one filling the
 *     remaining bytes, so "1.2.3" means 1.2.0.3 and "10.258" means 10.0.1.2.
 * Both return null for text that is not an address; the tools then report it
 * their own way.
 */

/** strtoul(text, &end, 0) over the whole string; null when it is not one complete number. */
function cNumber(text: string): number | null {
  if (text === "") return null;
  let digits = text;
  let base = 10;
  if (/^0[xX]/.test(text)) {
    digits = text.slice(2);
    base = 16;
  } else if (text.length > 1 && text.startsWith("0")) {
    digits = text.slice(1);
    base = 8;
  }
  const pattern = base === 16 ? /^[0-9a-fA-F]+$/ : base === 8 ? /^[0-7]+$/ : /^[0-9]+$/;
  if (!pattern.test(digits)) return null;
  const value = parseInt(digits, base);
  return Number.isSafeInteger(value) ? value : null;
}

/** iproute2's reading of an IPv4 address (no prefix). */
export function parseIproute2Ipv4(text: string): number | null {
  const parts = text.split(".");
  if (parts.length > 4) return null;
  let value = 0;
  for (let i = 0; i < 4; i++) {
    const part = parts[i];
    let byte = 0;
    if (part !== undefined) {
      const n = cNumber(part);
      if (n === null || n > 255) return null;
      byte = n;
    }
    value = value * 256 + byte;
  }
  return value >>> 0;
}

/** iproute2's reading of ADDR[/LEN]; LEN defaults to 32. */
export function parseIproute2Prefix(text: string): { address: number; prefixLength: number } | null {
  const slash = text.indexOf("/");
  const address = parseIproute2Ipv4(slash < 0 ? text : text.slice(0, slash));
  if (address === null) return null;
  if (slash < 0) return { address, prefixLength: 32 };
  const length = cNumber(text.slice(slash + 1));
  if (length === null || length > 32) return null;
  return { address, prefixLength: length };
}

/** inet_aton(3), as net-tools (route, arp, ifconfig) uses it. */
export function parseInetAton(text: string): number | null {
  const parts = text.split(".");
  if (parts.length > 4) return null;
  const values: number[] = [];
  for (const p of parts) {
    const n = cNumber(p);
    if (n === null) return null;
    values.push(n);
  }
  const last = values.pop()!;
  if (values.some((v) => v > 255)) return null;
  const lastBytes = 4 - values.length;
  if (last >= 2 ** (8 * lastBytes)) return null;
  let value = 0;
  for (const v of values) value = value * 256 + v;
  return (value * 2 ** (8 * lastBytes) + last) >>> 0;
}

/**
 * What glibc's resolver says when net-tools falls back to a host name lookup
 * for text that is not an address: a dotted number is simply unknown, while a
 * name needs DNS, which the lab's namespaces cannot reach.
 */
export function hostLookupError(text: string): string {
  return /^[0-9.]+$/.test(text) ? `${text}: Unknown host` : `${text}: Host name lookup failure`;
}
