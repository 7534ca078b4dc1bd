/**
 * The checks a schema cannot express, run on a lab that already has the right
 * shape: the id matches the file name, walkthrough steps run on hosts and in
 * namespaces the topology has, the tasks and the reference solution hold
 * together (check-tasks.ts), and the topology itself is coherent (the engine's
 * validateTopology, whose paths we prefix with /topology).
 */
import { type HostSpec, ROOT_NAMESPACE, validateTopology } from "../engine/index.js";
import { checkTasks } from "./check-tasks.js";
import type { LabFile } from "./lab-schema.js";
import type { Issue } from "./schema-issues.js";

export function checkLab(lab: LabFile, expectedId?: string): Issue[] {
  const issues: Issue[] = [];

  if (expectedId !== undefined && lab.id !== expectedId) {
    issues.push({ path: "/id", message: `must match the file name: expected "${expectedId}", found "${lab.id}"` });
  }

  const hosts = new Map(lab.topology.hosts.map((host) => [host.name, host]));
  lab.walkthrough.forEach((step, index) => {
    const host = hosts.get(step.host);
    if (host === undefined) {
      issues.push({ path: `/walkthrough/${index}/host`, message: `no host "${step.host}" in the topology (hosts: ${[...hosts.keys()].join(", ")})` });
      return;
    }
    if (step.namespace !== undefined && !namespacesOf(host, lab.topology).has(step.namespace)) {
      issues.push({
        path: `/walkthrough/${index}/namespace`,
        message: `host "${host.name}" has no namespace "${step.namespace}" (it has: ${[...namespacesOf(host, lab.topology)].join(", ")})`,
      });
    }
    step.expect?.events?.forEach((event, eventIndex) => {
      if (event.host !== undefined && !hosts.has(event.host)) {
        issues.push({ path: `/walkthrough/${index}/expect/events/${eventIndex}/host`, message: `no host "${event.host}" in the topology` });
      }
    });
  });

  issues.push(...checkTasks(lab, new Map(lab.topology.hosts.map((host) => [host.name, namespacesOf(host, lab.topology)]))));

  for (const issue of validateTopology(lab.topology)) {
    issues.push({ path: `/topology${issue.path}`, message: issue.message });
  }
  return issues;
}

/**
 * Where a command can run on a host at load time: its root namespace, its
 * plain namespaces, the namespaces of its containers (a --net=host
 * container has none of its own), and those the CNI chain makes for the
 * pods the lab declares on it (named after the pod).
 */
function namespacesOf(host: HostSpec, topology: LabFile["topology"]): Set<string> {
  const names = new Set<string>([ROOT_NAMESPACE, ...(host.namespaces ?? [])]);
  for (const container of host.containers ?? []) {
    if (container.network !== "host") names.add(container.name);
  }
  const k = topology.kubernetes;
  if (k?.cni !== undefined) for (const pod of k.pods ?? []) if (pod.node === host.name && pod.netns === undefined) names.add(pod.name);
  return names;
}
