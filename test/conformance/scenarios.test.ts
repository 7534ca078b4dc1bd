/**
 * What the conformance suite runs of each lab: every shipped lab is a
 * scenario, the CNI-wired ones included, with the walkthrough commands that
 * send traffic or change the kernel's state (brctl and bridge link set among
 * them, which service-hairpin needs) and none of those that only print.
 */
import { describe, expect, it } from "vitest";
import { isComparedCommand, labScenarios } from "../../conformance/scenarios.js";
import { REPO_LABS_DIR } from "../helpers/build-app.js";

describe("conformance scenarios", () => {
  const labs = labScenarios(REPO_LABS_DIR);

  it("take every shipped lab, the labs whose pods the CNI chain wires included", () => {
    const ids = labs.map((s) => s.id);
    for (const id of ["cni-bridge-plugin", "service-hairpin", "flannel-vxlan", "host-gw"]) expect(ids).toContain(id);
    expect(labs.find((s) => s.id === "flannel-vxlan")!.topology.kubernetes?.cni).toEqual({ plugin: "flannel" });
  });

  it("run service-hairpin's hairpin switch, so its last curl reaches web on both sides", () => {
    expect(labs.find((s) => s.id === "service-hairpin")!.commands.map((c) => c.command)).toEqual([
      "curl -s http://10.96.0.80/",
      "curl -s --connect-timeout 1 http://10.96.0.80/",
      "brctl hairpin cni0 veth1b7a164f on",
      "curl -s http://10.96.0.80/",
    ]);
  });

  it("count bridge and port changes as state changes, and listings as printing only", () => {
    for (const c of ["brctl hairpin cni0 veth1b7a164f on", "bridge link set dev veth1b7a164f hairpin on", "brctl addif br0 veth0", "ip link set cni0 up", "ping -c 1 10.244.2.2"]) expect(isComparedCommand(c), c).toBe(true);
    for (const c of ["brctl show", "bridge -d link show", "bridge link show", "kubectl scale deployment web --replicas=2", "cat /sys/class/net/veth1b7a164f/brport/hairpin_mode"]) expect(isComparedCommand(c), c).toBe(false);
  });
});
