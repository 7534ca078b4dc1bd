/**
 * Name resolution as a container sees it: dotted IPv4 literals, `localhost`
 * from /etc/hosts, and nothing else — Docker's default bridge has no DNS, so
 * `ping nginx-2` fails there exactly as it does on a real host.
 */
import { parseIpv4 } from "../wire/ipv4-address.js";

export function resolveHost(name: string): number | null {
  if (name === "localhost") return 0x7f000001;
  if (!/^[0-9.]+$/.test(name)) return null;
  const r = parseIpv4(name);
  return r.ok ? r.value : null;
}
