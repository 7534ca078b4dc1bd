/**
 * A lab's Kubernetes objects (topology.kubernetes) are checked like the rest
 * of the file: a wrong shape by the schema, a wrong reference by the engine's
 * checks, each reported as `file:line:column field.path: message`.
 */
import { describe, expect, it } from "vitest";
import { LabFileError } from "../../server/labs/lab-file-error.js";
import { loadLabs } from "../../server/labs/load-labs.js";
import { labsFolder, minimalLab } from "../helpers/lab-files.js";

/** The minimal lab with a cluster on node1; `k` is the kubernetes block's body (indented 4). */
function withCluster(k: string): string {
  return minimalLab().replace("walkthrough:\n", `  kubernetes:\n${k}walkthrough:\n`);
}

async function errorFor(content: string): Promise<string> {
  const dir = await labsFolder({ "tiny-lab.yaml": content });
  const error = await loadLabs(dir, dir).then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(error).toBeInstanceOf(LabFileError);
  return (error as LabFileError).message;
}

describe("Kubernetes objects in a lab file", () => {
  it("a node that is not a host", async () => {
    const bad = withCluster("    nodes: [node1, node9]\n    clusterCidr: 10.244.0.0/16\n");
    expect(await errorFor(bad)).toBe('tiny-lab.yaml:21:20 topology.kubernetes.nodes[1]: node "node9" is not a host of the topology');
  });

  it("a pod whose network namespace the node does not have", async () => {
    const bad = withCluster("    nodes: [node1]\n    clusterCidr: 10.244.0.0/16\n    pods:\n      - { name: web-1, node: node1 }\n");
    expect(await errorFor(bad)).toBe('tiny-lab.yaml:24:11 topology.kubernetes.pods[0].name: node node1 has no network namespace "web-1" for the pod (declare it in namespaces or containers)');
  });

  it("a readiness probe with two handlers, one next to ready, and an exec command the model does not run", async () => {
    const netns = "      namespaces: [web-1]\n      veths:\n        - { name: veth1, peer: { name: eth0, namespace: web-1, addresses: [10.244.0.2/24] } }\n";
    const pod = (extra: string) => withCluster(`    nodes: [node1]\n    clusterCidr: 10.244.0.0/16\n    pods:\n      - { name: web-1, node: node1, ${extra} }\n`).replace("  kubernetes:\n", `${netns}  kubernetes:\n`);
    expect(await errorFor(pod("readinessProbe: { tcpSocket: { port: 80 }, exec: { command: [cat, /tmp/ok] } }"))).toContain("topology.kubernetes.pods[0].readinessProbe: may not specify more than 1 handler type");
    expect(await errorFor(pod("ready: false, readinessProbe: { tcpSocket: { port: 80 } }"))).toContain("topology.kubernetes.pods[0].ready: a pod with a readinessProbe is ready when its probe passes: leave ready out");
    expect(await errorFor(pod("readinessProbe: { exec: { command: [sh, -c, 'true'] } }"))).toContain("topology.kubernetes.pods[0].readinessProbe.exec.command: exec probes here run cat FILE, ls FILE or test -e|-f FILE");
  });

  it("an ipBlock next to a selector, and an except outside its CIDR", async () => {
    const policy = (peer: string) => withCluster(`    nodes: [node1]\n    clusterCidr: 10.244.0.0/16\n    networkPolicies:\n      - { name: p, podSelector: {}, policyTypes: [Egress], egress: [{ to: [${peer}] }] }\n`);
    expect(await errorFor(policy("{ ipBlock: { cidr: 10.0.0.0/8 }, podSelector: {} }"))).toContain("topology.kubernetes.networkPolicies[0].egress[0].to[0]: may not specify both ipBlock and another peer");
    expect(await errorFor(policy("{ ipBlock: { cidr: 10.0.0.0/8, except: [192.168.0.0/16] } }"))).toContain('topology.kubernetes.networkPolicies[0].egress[0].to[0].ipBlock.except[0]: Invalid value: "192.168.0.0/16": must be a strict subset of `cidr`');
  });

  it("a cluster IP outside the Service network", async () => {
    const bad = withCluster("    nodes: [node1]\n    clusterCidr: 10.244.0.0/16\n    services:\n      - { name: web, clusterIP: 10.112.0.1, selector: { app: web }, ports: [{ port: 80 }] }\n");
    expect(await errorFor(bad)).toBe("tiny-lab.yaml:24:22 topology.kubernetes.services[0].clusterIP: 10.112.0.1 is not in the service network 10.96.0.0/12");
  });

  it("a NodePort Service without its node port, and a node port outside 30000-32767", async () => {
    const missing = withCluster("    nodes: [node1]\n    clusterCidr: 10.244.0.0/16\n    services:\n      - { name: web, type: NodePort, clusterIP: 10.96.0.1, selector: { app: web }, ports: [{ port: 80 }] }\n");
    expect(await errorFor(missing)).toBe("tiny-lab.yaml:24:92 topology.kubernetes.services[0].ports[0]: give the port its nodePort (30000-32767): the lab picks none at random");
    const range = missing.replace("[{ port: 80 }]", "[{ port: 80, nodePort: 8080 }]");
    expect(await errorFor(range)).toMatch(/^tiny-lab\.yaml:24:\d+ topology\.kubernetes\.services\[0\]\.ports\[0\]\.nodePort: must be >= 30000/);
  });

  it("a label value Kubernetes would refuse", async () => {
    const bad = withCluster("    nodes: [node1]\n    clusterCidr: 10.244.0.0/16\n    services:\n      - { name: web, clusterIP: 10.96.0.1, selector: { app: 'no spaces' }, ports: [{ port: 80 }] }\n");
    expect(await errorFor(bad)).toMatch(/^tiny-lab\.yaml:24:\d+ topology\.kubernetes\.services\[0\]\.selector\.app: must match the pattern/);
  });
});
