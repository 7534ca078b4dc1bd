/**
 * A pod reaching itself through its Service (the service-hairpin lab): with
 * br_netfilter the DNAT sends the frame back to the bridge, which may send it
 * out of the port it came in by only in hairpin mode; kube-proxy's
 * KUBE-MARK-MASQ makes the node masquerade it so the reply comes back
 * through conntrack. brctl's and bridge's messages are the real tools'
 * (bridge-utils 1.7, iproute2 6.1), captured in a namespace.
 */
import { describe, expect, it } from "vitest";
import { labEngine } from "../helpers/lab-engine.js";

const WEB_PORT = "veth1b7a164f";

describe("hairpin mode", () => {
  it("hairpin off: cni0 drops the DNATed SYN that must leave by its ingress port; another pod's connection is bridged between two ports", () => {
    const e = labEngine("service-hairpin");
    const fromClient = e.run({ host: "node1", namespace: "client", command: "curl -s http://10.96.0.80/" });
    expect(fromClient).toMatchObject({ exitCode: 0, output: "web\n" });
    const self = e.run({ host: "node1", namespace: "web", command: "curl -s --connect-timeout 1 http://10.96.0.80/" });
    expect(self.exitCode).toBe(28);
    const drop = self.events.find((x) => x.kind === "drop" && x.device === "cni0");
    expect(drop?.summary).toBe(`cni0 drops a frame for 0a:58:0a:f4:01:03: it sits behind the ingress port ${WEB_PORT}`);
    expect(self.events.some((x) => x.kind === "socket-deliver" && x.namespace === "web" && x.process.startsWith("serve_hostname"))).toBe(false);
  });

  it("hairpin on: the frame turns around, is masqueraded to cni0's address, and the reply is undone by conntrack", () => {
    const e = labEngine("service-hairpin");
    expect(e.run({ host: "node1", command: `brctl hairpin cni0 ${WEB_PORT} on` })).toMatchObject({ exitCode: 0, output: "" });
    expect(e.run({ host: "node1", command: `ip -d link show ${WEB_PORT}` }).output).toContain("hairpin on guard off");
    const r = e.run({ host: "node1", namespace: "web", command: "curl -s http://10.96.0.80/" });
    expect(r).toMatchObject({ exitCode: 0, output: "web\n" });
    const syn = r.events.find((x) => x.kind === "nat" && x.host === "node1")!.packetId;
    const kinds = r.events.filter((x) => x.packetId === syn && ["nat", "bridge-forward"].includes(x.kind)).slice(0, 3).map((x) => x.summary);
    expect(kinds[0]).toBe("DNAT: destination 10.96.0.80:80 → 10.244.1.3:8080");
    expect(kinds[1]).toBe(`cni0 sends 0a:58:0a:f4:01:03 back out of ${WEB_PORT}, the port it came in by (hairpin mode)`);
    expect(kinds[2]).toMatch(/^MASQUERADE: source 10\.244\.1\.3:\d+ → 10\.244\.1\.1:\d+$/);
    // Bridged, not routed: no TTL step on the node for the SYN.
    expect(r.events.some((x) => x.kind === "ip-forward" && x.host === "node1")).toBe(false);
    expect(e.run({ host: "node1", command: "conntrack -L" }).output).toMatch(/src=10\.244\.1\.3 dst=10\.96\.0\.80 sport=\d+ dport=80 src=10\.244\.1\.3 dst=10\.244\.1\.1 sport=8080/);
    expect(e.run({ host: "node1", command: `bridge link set dev ${WEB_PORT} hairpin off` }).exitCode).toBe(0);
    expect(e.run({ host: "node1", command: `cat /sys/class/net/${WEB_PORT}/brport/hairpin_mode` }).output).toBe("0\n");
  });

  it("brctl hairpin and bridge link set refuse as the real tools do", () => {
    const e = labEngine("service-hairpin");
    const run = (command: string) => e.run({ host: "node1", command });
    expect(run(`brctl hairpin cni0 ${WEB_PORT} maybe`)).toMatchObject({ exitCode: 1, output: "expect on/off for argument\n" });
    expect(run("brctl hairpin cni0 veth9 on").output).toBe("interface veth9 does not exist!\n");
    expect(run(`brctl hairpin br9 ${WEB_PORT} on`).output).toBe("bridge br9 does not exist!\n");
    expect(run("brctl hairpin cni0 eth0 on").output).toBe("can't set eth0 to hairpin on bridge cni0: No such file or directory\n");
    expect(run("bridge link set dev eth0 hairpin on")).toMatchObject({ exitCode: 255, output: "RTNETLINK answers: Operation not supported\n" });
    expect(run("bridge -d link show").output).toContain("    hairpin off guard off root_block off fastleave off learning on flood on mcast_flood on bcast_flood on");
  });
});
