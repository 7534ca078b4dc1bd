/**
 * The chapter's node as the recorded Linux outputs (test/fixtures/linux) show
 * it: docker0 02:42:d8:e4:df:c1 172.17.0.1/16, nginx-1 (172.17.0.2) and
 * nginx-2 (172.17.0.3) behind veth9c02e56 and vethb4963f3. Devices are
 * declared so the ifindexes match the recordings: on the host lo=1,
 * docker0=2, veth9c02e56=3, vethb4963f3=4; in each container lo=1, eth0=2.
 */
import type { ContainerSpec, TopologySpec } from "../../../server/engine/topology/topology-schema.js";

export function chapterTopology(opts: { containers?: ContainerSpec[]; services?: NonNullable<TopologySpec["hosts"][number]["services"]> } = {}): TopologySpec {
  return {
    hosts: [
      {
        name: "node1",
        forwarding: true,
        bridges: [{ name: "docker0", mac: "02:42:d8:e4:df:c1", addresses: ["172.17.0.1/16"] }],
        containers: opts.containers ?? [
          { name: "nginx-1", id: "2b3c181aecf1", image: "nginx", network: "bridge" },
          { name: "nginx-2", id: "5f0d6a1c9e22", image: "nginx", network: "bridge" },
        ],
        veths: [
          {
            name: "veth9c02e56",
            mac: "7a:a6:95:8e:9a:47",
            master: "docker0",
            peer: { name: "eth0", namespace: "nginx-1", mac: "02:42:ac:11:00:02", addresses: ["172.17.0.2/16"] },
          },
          {
            name: "vethb4963f3",
            mac: "3e:10:55:1d:34:ce",
            master: "docker0",
            peer: { name: "eth0", namespace: "nginx-2", mac: "02:42:ac:11:00:03", addresses: ["172.17.0.3/16"] },
          },
        ],
        routes: [
          { namespace: "nginx-1", to: "default", via: "172.17.0.1", dev: "eth0" },
          { namespace: "nginx-2", to: "default", via: "172.17.0.1", dev: "eth0" },
        ],
        ...(opts.services !== undefined ? { services: opts.services } : {}),
      },
    ],
  };
}
