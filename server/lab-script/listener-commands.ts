/**
 * The processes the lab starts with (a container's main process, a host's
 * services), as listening sockets in the same namespaces: read from the
 * simulator's state, where the image's defaults are already applied. A TCP
 * listener answers one request per connection with whatever the file in
 * $CNLAB_HTTP_REPLY holds (the conformance suite puts the simulated server's
 * bytes there), or a short page. CoreDNS's socket gets the responder that
 * stands in for it, with the simulated CoreDNS's zone (cluster-dns-commands.ts).
 * The overlays' daemons are not started here: flanneld comes with its overlay
 * (overlay-commands.ts), and there is no BIRD.
 */
import type { NetworkState } from "../engine/index.js";
import { comment } from "./script-lines.js";
import { namespaceSuffix, nsRef } from "./script-names.js";

const DAEMONS = new Set(["flanneld", "bird"]);

/** `dnsZone`: the simulated CoreDNS's zone as one script word (null without a cluster). */
export function listenerLines(state: NetworkState, dnsZone: string | null): string[] {
  const lines: string[] = [];
  const waits: string[] = [];
  for (const host of state.hosts) {
    for (const ns of host.namespaces) {
      for (const s of ns.sockets) {
        const listening = (s.proto === "tcp" && s.state === "LISTEN") || (s.proto === "udp" && s.remote === null);
        if (!listening || DAEMONS.has(s.process.split("/")[0]!)) continue;
        const port = s.local.split(":").at(-1)!;
        const where = nsRef(namespaceSuffix(host.name, ns.name));
        if (s.proto === "udp" && s.process.split("/")[0] === "coredns" && dnsZone !== null) {
          lines.push(comment(`${s.process} in ${host.name}/${ns.name} serves the cluster's DNS on udp/${port}: here a responder stands in for CoreDNS and answers as the simulated one does.`), `start_dns_responder ${where} ${port} ${dnsZone}`);
          waits.push(`wait_listening ${where} udp ${port}`);
          continue;
        }
        const http = s.proto === "tcp" ? ` "\${CNLAB_HTTP_REPLY:-}"` : "";
        lines.push(comment(`${s.process} in ${host.name}/${ns.name} listens on ${s.proto}/${port}.`), `start_listener ${where} ${s.proto} ${port}${http}`);
        waits.push(`wait_listening ${where} ${s.proto} ${port}`);
      }
    }
  }
  return [...lines, ...waits];
}
