/**
 * br_netfilter: on a Docker host (net.bridge.bridge-nf-call-iptables = 1) a
 * frame bridged between two containers passes iptables, with the bridge as in
 * and out interface, and conntrack tracks the flow. Checked against the same
 * rules on a bridge in Linux namespaces (test/fixtures/linux/br-netfilter-*).
 */
import { describe, expect, it } from "vitest";
import { labEngine } from "./helpers/lab-engine.js";
import { linuxFixture } from "./helpers/linux-fixtures.js";

function dockerHost() {
  const engine = labEngine("bridge-two-containers");
  const root = (command: string) => engine.run({ host: "node1", command });
  const nginx1 = (command: string) => engine.run({ host: "node1", namespace: "nginx-1", command });
  return { engine, root, nginx1 };
}

/** The rules of the Linux experiment in place of Docker's FORWARD chain (its policy is DROP already). */
function linuxRules(root: (command: string) => { exitCode: number }): void {
  for (const c of ["iptables -F FORWARD", "iptables -A FORWARD -o docker0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT", "iptables -A FORWARD -i docker0 -o docker0 -j ACCEPT"]) {
    expect(root(c).exitCode).toBe(0);
  }
}

const sortedLines = (text: string) => text.replace(/id=\d+/g, "id=N").split("\n").filter((l) => l !== "").sort();

describe("br_netfilter", () => {
  it("a Docker host has bridge-nf-call-iptables on, as the daemon sets it", () => {
    const f = linuxFixture("br-netfilter-sysctl");
    const r = dockerHost().root("sysctl net.bridge.bridge-nf-call-iptables");
    expect([r.output, r.exitCode]).toEqual([f.text, f.exit]);
  });

  it("container-to-container frames pass FORWARD with docker0 in and out, counted as in Linux, and conntrack tracks the flow", () => {
    const { root, nginx1 } = dockerHost();
    linuxRules(root);
    const ping = nginx1("ping -c 2 172.17.0.3");
    expect(ping.exitCode).toBe(0);
    const hits = ping.events.filter((e) => e.kind === "netfilter").map((e) => (e.kind === "netfilter" ? `${e.device} ${e.rule}` : ""));
    expect(hits).toEqual([
      "docker0 -A FORWARD -i docker0 -o docker0 -j ACCEPT",
      "docker0 -A FORWARD -o docker0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT",
      "docker0 -A FORWARD -o docker0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT",
      "docker0 -A FORWARD -o docker0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT",
    ]);
    expect(ping.events.filter((e) => e.kind === "conntrack")).toHaveLength(1);
    // The bridge decides, FORWARD accepts, conntrack confirms the new flow at POSTROUTING, then the egress port sends.
    const firstEcho = ping.events.filter((e) => e.packetId === ping.events.find((x) => x.kind === "conntrack")!.packetId && e.namespace === "root");
    expect(firstEcho.map((e) => e.kind)).toEqual(["frame-rx", "bridge-forward", "netfilter", "conntrack", "frame-tx"]);

    const listed = root("iptables -L FORWARD -v -n");
    expect(listed.output).toBe(linuxFixture("br-netfilter-iptables-L-FORWARD-v-n-after-ping").text);
    expect(sortedLines(root("conntrack -L -p icmp").output)).toEqual(sortedLines(linuxFixture("br-netfilter-conntrack-L-p-icmp-after-ping").text));
  });

  it("without an ACCEPT for docker0 to docker0, the FORWARD policy drops what one container sends another", () => {
    const { root, nginx1 } = dockerHost();
    expect(root("iptables -F FORWARD").exitCode).toBe(0);
    const ping = nginx1("ping -c 1 -W 1 172.17.0.3");
    expect(ping.output).toContain("1 packets transmitted, 0 received, 100% packet loss");
    expect(ping.events.find((e) => e.kind === "netfilter")).toMatchObject({ device: "docker0", rule: "policy DROP" });
    expect(ping.events.find((e) => e.kind === "drop" && e.reason === "netfilter")).toMatchObject({ namespace: "root", device: "docker0" });
  });

  it("turning bridge-nf-call-iptables off takes bridged frames out of iptables", () => {
    const { root, nginx1 } = dockerHost();
    expect(root("sysctl -w net.bridge.bridge-nf-call-iptables=0").output).toBe("net.bridge.bridge-nf-call-iptables = 0\n");
    expect(root("iptables -F FORWARD").exitCode).toBe(0);
    const ping = nginx1("ping -c 1 172.17.0.3");
    expect(ping.exitCode).toBe(0);
    expect(ping.events.some((e) => e.kind === "netfilter" || e.kind === "conntrack")).toBe(false);
  });
});
