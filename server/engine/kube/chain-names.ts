/**
 * kube-proxy's chain names (pkg/proxy/iptables/proxier.go): a prefix and the
 * first 16 characters of the base32 (RFC 4648, upper case) of a SHA-256 over
 * the service port's name and protocol, and for an endpoint its "ip:port" too:
 * KUBE-SVC-, KUBE-SVL-, KUBE-EXT-, KUBE-FW- and KUBE-SEP-. A hash is no I/O
 * and no randomness, so the engine may take it from node:crypto.
 */
import { createHash } from "node:crypto";

const BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/** RFC 4648 base32 without padding (kube-router's names use the same alphabet, with Go's StdEncoding). */
export function base32(bytes: Uint8Array): string {
  let out = "";
  let bits = 0;
  let value = 0;
  for (const b of bytes) {
    value = ((value << 8) | b) & 0xffff;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32[(value << (5 - bits)) & 31];
  return out;
}

/** portProtoHash: the 16 characters every per-service chain name ends with. */
export function portProtoHash(servicePortName: string, protocol: string): string {
  return base32(createHash("sha256").update(servicePortName + protocol).digest()).slice(0, 16);
}

export const serviceChain = (spn: string, protocol: string) => `KUBE-SVC-${portProtoHash(spn, protocol)}`;
export const localChain = (spn: string, protocol: string) => `KUBE-SVL-${portProtoHash(spn, protocol)}`;
export const externalChain = (spn: string, protocol: string) => `KUBE-EXT-${portProtoHash(spn, protocol)}`;

export function endpointChain(spn: string, protocol: string, endpoint: string): string {
  return `KUBE-SEP-${base32(createHash("sha256").update(spn + protocol + endpoint).digest()).slice(0, 16)}`;
}

/** The chains kube-proxy owns per service, deleted when no service needs them any more. */
export function isServiceChainName(name: string): boolean {
  return ["KUBE-SVC-", "KUBE-SVL-", "KUBE-SEP-", "KUBE-FW-", "KUBE-EXT-"].some((p) => name.startsWith(p));
}
