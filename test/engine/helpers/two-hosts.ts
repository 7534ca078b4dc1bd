/** The chapter's 32.02 setting: node1 and node2 on the 10.168.0.0/24 underlay, each with Docker. */
import type { TopologySpec } from "../../../server/engine/topology/topology-schema.js";

export function twoHosts(publish: string[] = []): TopologySpec {
  const node = (n: 1 | 2) => ({
    name: `node${n}`,
    forwarding: true,
    nics: [{ name: "eth0", segment: "underlay", mac: `42:01:0a:a8:00:0${n + 1}`, addresses: [`10.168.0.${n + 1}/24`] }],
    bridges: [{ name: "docker0", mac: `02:42:d8:e4:df:c${n}`, addresses: ["172.17.0.1/16"] }],
    containers: [{ name: `nginx-${n}`, image: "nginx", network: "bridge" as const, ...(n === 1 ? { publish } : {}) }],
    veths: [
      {
        name: `veth${n}`,
        master: "docker0",
        peer: { name: "eth0", namespace: `nginx-${n}`, mac: "02:42:ac:11:00:02", addresses: ["172.17.0.2/16"] },
      },
    ],
    routes: [{ namespace: `nginx-${n}`, to: "default" as const, via: "172.17.0.1", dev: "eth0" }],
    services: n === 2 ? [{ name: "sshd", listen: ["tcp/22"] }] : [],
  });
  return { segments: [{ name: "underlay" }], hosts: [node(1), node(2)] };
}
