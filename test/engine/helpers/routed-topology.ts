/**
 * The chapter's node plus the fixtures' "routed" namespaces: host vethrtr0
 * 10.0.0.1/30 ⇄ router eth0 10.0.0.2/30, router eth1 10.9.9.1/24 ⇄ far eth0
 * 10.9.9.9/24 (test/fixtures/linux/README.md, "routed").
 */
import { expect } from "vitest";
import { chapterTopology } from "./chapter-topology.js";
import type { EngineOptions } from "../../../server/engine/engine.js";
import { engineFor } from "./lab-engine.js";

export function routedEngine(options: EngineOptions = {}) {
  const spec = chapterTopology();
  const node = spec.hosts[0]!;
  node.namespaces = ["router", "far"];
  node.veths!.push(
    { name: "vethrtr0", addresses: ["10.0.0.1/30"], peer: { name: "eth0", namespace: "router", addresses: ["10.0.0.2/30"] } },
    { name: "eth1", namespace: "router", addresses: ["10.9.9.1/24"], peer: { name: "eth0", namespace: "far", addresses: ["10.9.9.9/24"] } },
  );
  node.routes!.push(
    { namespace: "far", to: "default", via: "10.9.9.1", dev: "eth0" },
    { namespace: "router", to: "172.17.0.0/16", via: "10.0.0.1", dev: "eth0" },
    { to: "10.9.9.0/24", via: "10.0.0.2", dev: "vethrtr0" },
  );
  const engine = engineFor(spec, options);
  expect(engine.run({ host: "node1", namespace: "router", command: "sysctl -w net.ipv4.ip_forward=1" }).exitCode).toBe(0);
  // The recordings' host ran no Docker daemon, so nothing masqueraded the containers' packets.
  expect(engine.run({ host: "node1", command: "iptables -t nat -F POSTROUTING" }).exitCode).toBe(0);
  return engine;
}

