/**
 * The IPv6 addresses a device shows although the engine does not route IPv6:
 * ::1/128 on an up loopback, and on other devices the link-local address the
 * kernel derives from the MAC (modified EUI-64: flip the U/L bit, put ff:fe in
 * the middle), so 02:42:ac:11:00:02 gets fe80::42:acff:fe11:2/64. Also the
 * solicited-node multicast MAC that address makes the device listen on, which
 * `bridge fdb` lists.
 *
 * When the kernel adds the link-local address is history: it is added once
 * the device is up *and* has had carrier, and removed when it goes down. The
 * device model keeps no history, so we use what the chapter's situations
 * show: a veth or NIC has it while up (a container's eth0 keeps it when the
 * host end goes down); a bridge while up with carrier or at least one port (a
 * docker0 without ports never had carrier; one whose ports all went down keeps
 * it).
 */
import { Bridge } from "../link/bridge.js";
import type { Device } from "../link/device.js";

export interface Ipv6Address {
  /** Compressed text form (RFC 5952), e.g. "fe80::42:acff:fe11:2". */
  address: string;
  prefixLength: number;
  scope: "host" | "link";
}

function macBytes(mac: string): number[] {
  return mac.split(":").map((h) => parseInt(h, 16));
}

/** RFC 5952 text: lower-case hex, no leading zeros, the longest run (≥2) of zero groups as "::". */
export function formatIpv6(groups: readonly number[]): string {
  let bestStart = -1;
  let bestLength = 0;
  for (let i = 0; i < groups.length; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < groups.length && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestLength < 2) return hex.join(":");
  return `${hex.slice(0, bestStart).join(":")}::${hex.slice(bestStart + bestLength).join(":")}`;
}

/** The 8 groups of fe80::/64 + modified EUI-64 interface id. */
function linkLocalGroups(mac: string): number[] {
  const b = macBytes(mac);
  return [0xfe80, 0, 0, 0, ((b[0]! ^ 0x02) << 8) | b[1]!, (b[2]! << 8) | 0xff, 0xfe00 | b[3]!, (b[4]! << 8) | b[5]!];
}

/** Link-local addresses by MAC: `ip addr` prints one for every device each time it runs. */
const linkLocalCache = new Map<string, string>();

export function linkLocalAddress(mac: string): string {
  let address = linkLocalCache.get(mac);
  if (address === undefined) {
    address = formatIpv6(linkLocalGroups(mac));
    // Bounded like the stack's MAC cache: a session rarely has more than a few thousand MACs.
    if (linkLocalCache.size < 65536) linkLocalCache.set(mac, address);
  }
  return address;
}

/** 33:33:ff + the low 24 bits of the link-local address, which are the MAC's last three bytes. */
export function solicitedNodeMac(mac: string): string {
  return `33:33:ff:${mac.split(":").slice(3).join(":")}`;
}

/** Whether the device currently carries its fe80:: address (see the module comment). */
export function hasIpv6LinkLocal(dev: Device): boolean {
  // Point-to-point L3 devices have no MAC to derive an EUI-64 address from.
  if (dev.kind === "loopback" || dev.kind === "tun" || dev.kind === "ipip" || !dev.adminUp) return false;
  if (dev instanceof Bridge) return dev.hasCarrier() || dev.ports.length > 0;
  return true;
}

export function ipv6Addresses(dev: Device): Ipv6Address[] {
  if (dev.kind === "loopback") return dev.adminUp ? [{ address: "::1", prefixLength: 128, scope: "host" }] : [];
  return hasIpv6LinkLocal(dev) ? [{ address: linkLocalAddress(dev.mac), prefixLength: 64, scope: "link" }] : [];
}
