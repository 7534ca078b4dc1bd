/**
 * What kubectl shows of a Service's endpoints beyond `get endpoints`: the
 * EndpointSlice the endpointslice controller keeps for it (one per Service
 * here: every selected pod, with its Ready condition, at the ports'
 * targetPorts), `get endpointslices` as the printer lays it out (every
 * address, ready or not, at most three), and `describe endpoints` (ready
 * Addresses and NotReadyAddresses in one subset) and `describe
 * endpointslice` (each endpoint's conditions, target and node), laid out by
 * describe.go's tabwriter.
 */
import { createHash } from "node:crypto";
import type { Cluster, Pod, Service } from "../kube/cluster.js";
import { formatIpv4 } from "../wire/ipv4-address.js";
import { tabwrite } from "./kubectl-table.js";

/** apimachinery's rand alphabet, as generateName draws from it. */
const ALPHANUMS = "bcdfghjklmnpqrstvwxz2456789";

/**
 * The slice's name: the Service's name, "-" and generateName's 5 random characters; here from a
 * hash of the Service, so a lab's slice has the same name in every session (and the seeded
 * randomness the rest of the lab draws from is left as it was).
 */
export function endpointSliceName(s: Service): string {
  const digest = createHash("sha256").update(`${s.namespace}/${s.name}`).digest();
  let suffix = "";
  for (let i = 0; i < 5; i++) suffix += ALPHANUMS[digest[i]! % ALPHANUMS.length];
  return `${s.name}-${suffix}`;
}

/** listWithMoreString: at most three, then " + N more...", "<unset>" when empty. */
function listWithMore(all: string[]): string {
  if (all.length === 0) return "<unset>";
  const shown = all.slice(0, 3).join(",");
  return all.length > 3 ? `${shown} + ${all.length - 3} more...` : shown;
}

const slicePods = (cluster: Cluster, s: Service): Pod[] => cluster.selected(s);

/** get endpointslices: NAME, ADDRESSTYPE, PORTS, ENDPOINTS, AGE. A headless Service's slice lists its pods too. */
export function endpointSliceRow(cluster: Cluster, s: Service, age: string): string[] {
  return [endpointSliceName(s), "IPv4", listWithMore(s.ports.map((p) => String(p.targetPort))), listWithMore(slicePods(cluster, s).map((p) => formatIpv4(p.ip))), age];
}

function portLines(s: Service, indent: string): string[] {
  return [`${indent}Name\tPort\tProtocol`, `${indent}----\t----\t--------`, ...s.ports.map((p) => `${indent}${p.name ?? "<unset>"}\t${p.targetPort}\t${p.protocol}`)];
}

/** describe endpoints: one subset, the ready pods' addresses and the others'. */
export function describeEndpoints(cluster: Cluster, s: Service): string[] {
  const pods = slicePods(cluster, s);
  const lines = [`Name:\t${s.name}`, `Namespace:\t${s.namespace}`, "Labels:\t<none>", "Annotations:\t<none>", "Subsets:"];
  if (pods.length > 0) {
    const list = (ready: boolean) => pods.filter((p) => p.ready === ready).map((p) => formatIpv4(p.ip)).join(",") || "<none>";
    lines.push(`  Addresses:\t${list(true)}`, `  NotReadyAddresses:\t${list(false)}`, "  Ports:", ...portLines(s, "    "), "");
  }
  lines.push("Events:\t<none>");
  return tabwrite(lines);
}

/** describe endpointslice: the controller's labels, the ports, each endpoint with its Ready condition. */
export function describeEndpointSlice(cluster: Cluster, s: Service): string[] {
  const pods = slicePods(cluster, s);
  const lines = [
    `Name:\t${endpointSliceName(s)}`,
    `Namespace:\t${s.namespace}`,
    `Labels:\tendpointslice.kubernetes.io/managed-by=endpointslice-controller.k8s.io`,
    `\tkubernetes.io/service-name=${s.name}`,
    "Annotations:\t<none>",
    "AddressType:\tIPv4",
    "Ports:",
    ...portLines(s, "  "),
  ];
  if (pods.length === 0) lines.push("Endpoints:\t<none>");
  else {
    lines.push("Endpoints:");
    for (const p of pods) {
      lines.push(`  - Addresses:\t${formatIpv4(p.ip)}`, "    Conditions:", `      Ready:\t${p.ready}`, "    Hostname:\t<unset>", `    TargetRef:\tPod/${p.name}`, `    NodeName:\t${p.node}`, "    Zone:\t<unset>");
    }
  }
  lines.push("Events:\t<none>");
  return tabwrite(lines);
}
