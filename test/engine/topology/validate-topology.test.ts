/** Each kind of topology mistake is reported at its field with a precise message. */
import { describe, expect, it } from "vitest";
import { validateTopology } from "../../../server/engine/topology/validate-topology.js";
import type { TopologySpec } from "../../../server/engine/topology/topology-schema.js";

function withHost(host: Partial<TopologySpec["hosts"][number]>, extra: Partial<TopologySpec> = {}): TopologySpec {
  return { hosts: [{ name: "node1", bridges: [{ name: "docker0", addresses: ["172.17.0.1/16"] }], namespaces: ["a", "b"], ...host }], ...extra };
}

describe("validateTopology", () => {
  it("accepts a correct topology", () => {
    expect(validateTopology(withHost({ veths: [{ name: "eth0", namespace: "a", addresses: ["172.17.0.2/16"], peer: { name: "va", master: "docker0" } }] }))).toEqual([]);
  });
  it("duplicate IP in one subnet", () => {
    const issues = validateTopology(
      withHost({
        veths: [
          { name: "eth0", namespace: "a", addresses: ["172.17.0.2/16"], peer: { name: "va", master: "docker0" } },
          { name: "eth0", namespace: "b", addresses: ["172.17.0.2/16"], peer: { name: "vb", master: "docker0" } },
        ],
      }),
    );
    expect(issues).toEqual([{ path: "/hosts/0/veths/1/addresses/0", message: "duplicate address 172.17.0.2 in subnet 172.17.0.0/16: already on node1 a/eth0" }]);
  });
  it("duplicate MAC", () => {
    const issues = validateTopology(withHost({ veths: [{ name: "eth0", namespace: "a", mac: "02:42:ac:11:00:02", peer: { name: "va", mac: "02:42:ac:11:00:02" } }] }));
    expect(issues[0]).toEqual({ path: "/hosts/0/veths/0/peer/mac", message: "MAC 02:42:ac:11:00:02 is already used by node1/a/eth0" });
  });
  it("veth end in a missing namespace", () => {
    const issues = validateTopology(withHost({ veths: [{ name: "eth0", namespace: "nosuch", peer: { name: "va" } }] }));
    expect(issues[0]).toEqual({ path: "/hosts/0/veths/0/namespace", message: 'namespace "nosuch" does not exist on host node1 (declare it in namespaces or containers)' });
  });
  it("an interface in a bridge that does not exist, and an address on a bridge port", () => {
    const issues = validateTopology(withHost({ veths: [{ name: "eth0", namespace: "a", peer: { name: "va", master: "br9", addresses: ["172.17.0.9/16"] } }] }));
    expect(issues.map((i) => i.path)).toEqual(["/hosts/0/veths/0/peer/master", "/hosts/0/veths/0/peer/addresses"]);
  });
  it("the same device declared twice (an interface cannot be in two places)", () => {
    const issues = validateTopology(withHost({ veths: [{ name: "va", peer: { name: "eth0", namespace: "a" } }, { name: "va", peer: { name: "eth0", namespace: "b" } }] }));
    expect(issues[0]).toEqual({ path: "/hosts/0/veths/1/name", message: 'device "va" already exists in namespace root' });
  });
  it("bad CIDR, host bits in a route, unreachable gateway", () => {
    const issues = validateTopology(
      withHost({
        veths: [{ name: "eth0", namespace: "a", addresses: ["172.17.0.0/16"], peer: { name: "va", master: "docker0" } }],
        routes: [
          { namespace: "a", to: "10.1.2.3/8", dev: "eth0" },
          { to: "default", via: "10.9.9.9" },
        ],
      }),
    );
    expect(issues.map((i) => i.message)).toEqual([
      "172.17.0.0/16 is the network address of its subnet, not a host address",
      "10.1.2.3/8 has host bits set: did you mean 10.0.0.0/8?",
      'gateway 10.9.9.9 is not on a directly connected subnet in namespace root (Linux: "Nexthop has invalid gateway"); add onlink: true if intended',
    ]);
  });
  it("a NIC on an undeclared segment, and duplicate hosts", () => {
    const issues = validateTopology({ hosts: [{ name: "n", nics: [{ name: "eth0", segment: "lan" }] }, { name: "n" }] });
    expect(issues.map((i) => i.path)).toEqual(["/hosts/0/nics/0/segment", "/hosts/1/name"]);
  });
});
