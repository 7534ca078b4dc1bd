/**
 * How the lab's places are named on a real machine. Every simulated host
 * becomes a network namespace, and so does every namespace inside it (a
 * container's, or one made with `ip netns add`); every underlay segment
 * becomes a namespace holding one bridge, the switch the hosts' NICs are
 * cabled to. Each namespace name starts with the prefix, so a lab's
 * namespaces never meet the machine's own or another lab's. Devices are made
 * inside those namespaces only, never in the machine's own, so they keep the
 * lab's names (eth0, docker0, veth9c02e56), which the lab's commands use.
 */

/** "bridge-two-containers" → "btc": the first letter of each word, at most 8. */
export function labIdShort(labId: string): string {
  const initials = labId
    .split(/[^a-z0-9]+/i)
    .filter((w) => w.length > 0)
    .map((w) => w[0]!.toLowerCase())
    .join("");
  return (initials || "lab").slice(0, 8);
}

export function defaultPrefix(labId: string): string {
  return `cnlab-${labIdShort(labId)}-`;
}

/** Bash-safe prefixes only: they are written into the script and into namespace names. */
export const PREFIX_PATTERN = "^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$";

const ROOT = "root";

/** The namespace suffix (after the prefix) of a host's namespace `ns` ("root" is the host's own). */
export function namespaceSuffix(host: string, ns: string | null | undefined): string {
  return ns === undefined || ns === null || ns === ROOT ? host : `${host}-${ns}`;
}

export function segmentSuffix(segment: string): string {
  return `seg-${segment}`;
}

/** The switch inside a segment's namespace. */
export const SEGMENT_BRIDGE = "sw";

/** A bash expression for the full namespace name: the prefix variable, then the suffix. */
export function nsRef(suffix: string): string {
  return `"\${P}${suffix}"`;
}

/** Linux interface names hold at most 15 bytes. */
export const IFNAMSIZ_MAX = 15;

/**
 * Names of the segment switch's ports, one per NIC cabled to it: "node1-eth0",
 * cut to 15 characters, numbered when two cuts meet.
 */
export function segmentPortNames(nics: { host: string; nic: string }[]): string[] {
  const used = new Set<string>();
  return nics.map(({ host, nic }, i) => {
    let name = `${host}-${nic}`.slice(0, IFNAMSIZ_MAX);
    if (used.has(name)) name = `${`p${i}-${nic}`.slice(0, IFNAMSIZ_MAX)}`;
    used.add(name);
    return name;
  });
}
