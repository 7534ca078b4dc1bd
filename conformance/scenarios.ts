/**
 * What the conformance suite runs: every shipped lab, with the commands of
 * its walkthrough that send traffic or change the kernel's state (ping,
 * curl, traceroute, `ip … add|del|replace|set`, `sysctl -w`, iptables
 * changes, bridges and their ports' flags with `bridge link set` or
 * `brctl`; the inspection commands' outputs are held to Linux by the unit
 * tests' fixtures instead), and the extra scenarios issue 12 names, on small
 * topologies of their own. The labs whose pods the CNI chain wires
 * (kubernetes.cni) are compared too: the lab script makes those pods as the
 * simulator's plugins did (lab-script/cni-commands.ts).
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { parse } from "yaml";
import type { TopologySpec } from "../server/engine/index.js";

export interface ScenarioCommand {
  host: string;
  namespace?: string;
  command: string;
}

export interface Scenario {
  id: string;
  title: string;
  /** "lab" for a shipped lab, "extra" for the suite's own. */
  origin: "lab" | "extra";
  topology: TopologySpec;
  commands: ScenarioCommand[];
  /** Run on the real machine right after the commands (a loop broken, so the storm ends). */
  afterOnLinux?: ScenarioCommand[];
  /** Seconds both sides wait after the commands, for timers (ARP retries, DELAY) to run out. */
  settleSeconds?: number;
  /** Compare only the first frames of each interface (a storm's length is how long it was let run). */
  frameLimit?: number;
}

const TRAFFIC = /^(ping|curl|traceroute|arping)\b/;
const STATE_CHANGE = /^(ip (-\S+ )*(route|r|addr|address|a|link|l|neigh|neighbour|n) (add|del|delete|replace|change|set|flush)\b|sysctl -w\b|iptables (-t \S+ )?-[AIDRFPNX]\b|bridge fdb (add|del|append|replace)\b|bridge link set\b|brctl (addbr|delbr|addif|delif|hairpin|stp|setageing)\b)/;

/** Whether a walkthrough command is one the suite runs on both sides. */
export function isComparedCommand(command: string): boolean {
  const c = command.trim();
  return TRAFFIC.test(c) || STATE_CHANGE.test(c);
}

interface LabFileShape {
  id: string;
  title: { en: string };
  topology: TopologySpec;
  walkthrough: { host: string; namespace?: string; command: string }[];
}

export function labScenarios(labsDir: string): Scenario[] {
  return readdirSync(labsDir)
    .filter((f) => f.endsWith(".yaml"))
    .sort()
    .map((f) => parse(readFileSync(path.join(labsDir, f), "utf8")) as LabFileShape)
    .map((lab) => ({
      id: lab.id,
      title: lab.title.en,
      origin: "lab" as const,
      topology: lab.topology,
      commands: lab.walkthrough.filter((w) => isComparedCommand(w.command)).map((w) => ({ host: w.host, ...(w.namespace === undefined ? {} : { namespace: w.namespace }), command: w.command })),
    }));
}

/** Two containers on docker0, as the bridge lab has them, for the scenarios that need no more. */
function twoContainers(): TopologySpec {
  return {
    segments: [{ name: "underlay" }],
    hosts: [
      {
        name: "node1",
        forwarding: true,
        nics: [{ name: "eth0", segment: "underlay", mac: "42:01:0a:a8:00:02", addresses: ["10.168.0.2/24"] }],
        bridges: [{ name: "docker0", mac: "02:42:d8:e4:df:c1", addresses: ["172.17.0.1/16"] }],
        docker: { bridge: "docker0" },
        containers: [
          { name: "nginx-1", id: "2b3c181aecf1", image: "nginx", network: "bridge" },
          { name: "nginx-2", id: "5d6e7f8a9b0c", image: "nginx", network: "bridge" },
        ],
        veths: [
          { name: "veth9c02e56", mac: "52:81:0b:24:3d:da", master: "docker0", peer: { name: "eth0", namespace: "nginx-1", mac: "02:42:ac:11:00:02", addresses: ["172.17.0.2/16"] } },
          { name: "vethb4963f3", mac: "3e:10:55:1d:34:ce", master: "docker0", peer: { name: "eth0", namespace: "nginx-2", mac: "02:42:ac:11:00:03", addresses: ["172.17.0.3/16"] } },
        ],
        routes: [
          { namespace: "nginx-1", to: "default", via: "172.17.0.1", dev: "eth0" },
          { namespace: "nginx-2", to: "default", via: "172.17.0.1", dev: "eth0" },
        ],
      },
    ],
  };
}

/** a — router — b on two segments; the router's link to b has `mtuB`. */
function routed(mtuB: number): TopologySpec {
  return {
    segments: [{ name: "left" }, { name: "right" }],
    hosts: [
      { name: "a", nics: [{ name: "eth0", segment: "left", mac: "02:00:00:00:01:02", addresses: ["10.0.1.2/24"] }], routes: [{ to: "default", via: "10.0.1.1" }] },
      {
        name: "router",
        forwarding: true,
        nics: [
          { name: "eth0", segment: "left", mac: "02:00:00:00:01:01", addresses: ["10.0.1.1/24"] },
          { name: "eth1", segment: "right", mac: "02:00:00:00:02:01", mtu: mtuB, addresses: ["10.0.2.1/24"] },
        ],
      },
      { name: "b", nics: [{ name: "eth0", segment: "right", mac: "02:00:00:00:02:02", mtu: mtuB, addresses: ["10.0.2.2/24"] }], routes: [{ to: "default", via: "10.0.2.1" }] },
    ],
  };
}

export function extraScenarios(): Scenario[] {
  const published = twoContainers();
  published.hosts[0]!.containers![0]!.publish = ["8080:80"];
  published.hosts.push({ name: "node2", nics: [{ name: "eth0", segment: "underlay", mac: "42:01:0a:a8:00:03", addresses: ["10.168.0.3/24"] }] });

  const mismatch = twoContainers();
  // nginx-2's end of its cable takes 1000 bytes while everything else takes 1500.
  mismatch.hosts[0]!.veths![1]!.peer.mtu = 1000;

  const loop: TopologySpec = {
    hosts: [
      {
        name: "node1",
        namespaces: ["a", "b"],
        bridges: [{ name: "br0" }, { name: "br1" }],
        veths: [
          { name: "va", mac: "02:00:00:00:00:0a", namespace: "a", addresses: ["10.9.0.1/24"], peer: { name: "pa", master: "br0" } },
          { name: "vb", mac: "02:00:00:00:00:0b", namespace: "b", addresses: ["10.9.0.2/24"], peer: { name: "pb", master: "br1" } },
          { name: "l1a", master: "br0", peer: { name: "l1b", master: "br1" } },
          { name: "l2a", master: "br0", peer: { name: "l2b", master: "br1" } },
        ],
      },
    ],
  };

  return [
    {
      id: "arp-failure",
      title: "A ping to an address nobody has: ARP gives up, the sender's kernel reports host unreachable",
      origin: "extra",
      topology: twoContainers(),
      commands: [{ host: "node1", namespace: "nginx-1", command: "ping -c 1 -W 5 172.17.0.9" }],
      settleSeconds: 1,
    },
    {
      id: "published-port",
      title: "Another host fetches a container's page through a published port (DNAT, FORWARD, conntrack)",
      origin: "extra",
      topology: published,
      commands: [{ host: "node2", command: "curl http://10.168.0.2:8080/" }],
    },
    {
      id: "bridge-loop",
      title: "Two bridges joined twice, STP off: a broadcast loops",
      origin: "extra",
      topology: loop,
      commands: [{ host: "node1", namespace: "a", command: "ping -c 1 -W 1 10.9.0.2" }],
      afterOnLinux: [{ host: "node1", command: "ip link set l2a down" }],
      frameLimit: 8,
    },
    {
      id: "fragmentation",
      title: "A router fragments a 1400-byte ping for a 1000-byte link (DF off)",
      origin: "extra",
      topology: routed(1000),
      commands: [
        { host: "a", command: "ping -c 1 -M dont -s 1400 10.0.2.2" },
        { host: "a", command: "ping -c 1 -M do -s 1400 10.0.2.2" },
      ],
    },
    {
      id: "ttl-expiry",
      title: "A ping with TTL 1 expires at the router",
      origin: "extra",
      topology: routed(1500),
      commands: [{ host: "a", command: "ping -c 1 -t 1 10.0.2.2" }],
    },
    {
      id: "mtu-mismatch",
      title: "Two ends of one link disagree on the MTU: large frames are dropped on the smaller side",
      origin: "extra",
      topology: mismatch,
      commands: [
        { host: "node1", namespace: "nginx-1", command: "ping -c 1 172.17.0.3" },
        { host: "node1", namespace: "nginx-1", command: "ping -c 1 -W 1 -s 1200 172.17.0.3" },
      ],
    },
  ];
}
