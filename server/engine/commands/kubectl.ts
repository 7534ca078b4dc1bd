/**
 * kubectl (v1.28) against the lab's cluster, from any node: get (pods,
 * services, endpoints, endpointslices, nodes, deployments; -o wide, -n, -A, --show-labels for pods, several kinds at once),
 * describe service|endpoints|endpointslice (kubectl-endpoints.ts), exec (kubectl-exec.ts), delete pod|service|deployment (a Deployment's deleted pod is made
 * again by its ReplicaSet), label pod, scale and apply (kubectl-scale.ts,
 * kubectl-apply.ts), patch service (a merge
 * patch of its selector, externalTrafficPolicy or sessionAffinity). Changes go to the
 * cluster's objects, and kube-proxy on every node resyncs its rules at once,
 * as its informers would make it. Output laid out as kubectl's printers do.
 */
import { podsOf, reconcile } from "../kube/deployment.js";
import { removePod } from "../kube/pod-lifecycle.js";
import { key, type Cluster, type Endpoint, type Service } from "../kube/cluster.js";
import { syncProxies } from "../kube/proxier.js";
import { formatIpv4 } from "../wire/ipv4-address.js";
import { fail, type CommandContext, type CommandHandler } from "./command-context.js";
import { describeBlock, humanDuration, table } from "./kubectl-table.js";
import { apply } from "./kubectl-apply.js";
import { scale } from "./kubectl-scale.js";
import { notSimulated } from "./not-simulated.js";
import { describeEndpoints, describeEndpointSlice, endpointSliceName, endpointSliceRow } from "./kubectl-endpoints.js";
import { exec } from "./kubectl-exec.js";
import { describeNetworkPolicies, networkPolicyRows, patchNetworkPolicy } from "./kubectl-network-policy.js";

const VERSION = "v1.28.2";
const REFUSED = "The connection to the server localhost:8080 was refused - did you specify the right host or port?";

type Kind = "pod" | "service" | "endpoints" | "endpointslice" | "node" | "networkpolicy" | "deployment";
const KINDS: Record<string, Kind> = {
  po: "pod",
  pod: "pod",
  pods: "pod",
  svc: "service",
  service: "service",
  services: "service",
  ep: "endpoints",
  endpoints: "endpoints",
  endpointslice: "endpointslice",
  endpointslices: "endpointslice",
  "endpointslice.discovery.k8s.io": "endpointslice",
  "endpointslices.discovery.k8s.io": "endpointslice",
  no: "node",
  node: "node",
  nodes: "node",
  netpol: "networkpolicy",
  networkpolicy: "networkpolicy",
  networkpolicies: "networkpolicy",
  deploy: "deployment",
  deployment: "deployment",
  deployments: "deployment",
  "deployment.apps": "deployment",
  "deployments.apps": "deployment",
};
const PLURAL: Record<Kind, string> = { pod: "pods", service: "services", endpoints: "endpoints", endpointslice: "endpointslices.discovery.k8s.io", node: "nodes", networkpolicy: "networkpolicies.networking.k8s.io", deployment: "deployments.apps" };
/** Kinds a real cluster has that the lab's does not model. */
const REAL_KINDS = "replicasets rs statefulsets sts daemonsets ds configmaps cm secrets namespaces ns ingresses ing jobs cronjobs events ev serviceaccounts sa".split(" ");

interface Options {
  namespace: string;
  all: boolean;
  wide: boolean;
  overwrite: boolean;
  showLabels: boolean;
  args: string[];
}

function parseOptions(argv: string[]): Options {
  const o: Options = { namespace: "default", all: false, wide: false, overwrite: false, showLabels: false, args: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "-n" || a === "--namespace") o.namespace = argv[++i] ?? fail(`error: flag needs an argument: '${a.replace(/^-+/, "")}' in ${a}`, 1);
    else if (a.startsWith("--namespace=")) o.namespace = a.slice(12);
    else if (a === "-A" || a === "--all-namespaces") o.all = true;
    else if (a === "-o" || a === "--output") {
      const f = argv[++i];
      if (f !== "wide") notSimulated(`kubectl -o ${f ?? ""}`.trim());
      o.wide = true;
    } else if (a === "-owide" || a === "--output=wide" || a === "-o=wide") o.wide = true;
    else if (a === "--overwrite") o.overwrite = true;
    else if (a === "--show-labels") o.showLabels = true;
    else if (a.startsWith("-")) fail(`error: unknown flag: ${a}\nSee 'kubectl --help' for usage.`, 1);
    else o.args.push(a);
  }
  return o;
}

function kindOf(word: string): Kind {
  const k = KINDS[word.toLowerCase()];
  if (k !== undefined) return k;
  if (REAL_KINDS.includes(word.toLowerCase())) notSimulated(`kubectl ${word}`);
  fail(`error: the server doesn't have a resource type "${word}"`, 1);
}

const age = (ctx: CommandContext, created: number) => humanDuration(ctx.net.scheduler.now - created);
const endpointText = (e: Endpoint) => `${formatIpv4(e.ip)}:${e.port}`;

/** The ENDPOINTS column: at most three, then "+ N more...". */
function endpointList(all: Endpoint[]): string {
  if (all.length === 0) return "<none>";
  const shown = all.slice(0, 3).map(endpointText).join(",");
  return all.length > 3 ? `${shown} + ${all.length - 3} more...` : shown;
}

function serviceEndpoints(cluster: Cluster, s: Service): Endpoint[] {
  return s.ports.flatMap((p) => cluster.endpoints(s, p).ready);
}

const ports = (s: Service) => s.ports.map((p) => `${p.port}${p.nodePort !== null && s.type === "NodePort" ? `:${p.nodePort}` : ""}/${p.protocol}`).join(",");
const selectorText = (sel: Record<string, string>) => Object.entries(sel).map(([k, v]) => `${k}=${v}`).join(",") || "<none>";

function objects(ctx: CommandContext, cluster: Cluster, kind: Kind, o: Options): { namespace: string; name: string; row: string[] }[] {
  const inNs = (ns: string) => o.all || ns === o.namespace;
  switch (kind) {
    case "pod":
      return [...cluster.pods.values()]
        .filter((p) => inNs(p.namespace))
        .sort((a, b) => (a.name < b.name ? -1 : 1))
        .map((p) => ({
          namespace: p.namespace,
          name: p.name,
          row: [p.name, p.ready ? "1/1" : "0/1", "Running", "0", age(ctx, p.created), ...(o.wide ? [formatIpv4(p.ip), p.node, "<none>", "<none>"] : []), ...(o.showLabels ? [selectorText(p.labels)] : [])],
        }));
    case "service":
      return cluster
        .sortedServices()
        .filter((s) => inNs(s.namespace))
        .map((s) => ({ namespace: s.namespace, name: s.name, row: [s.name, s.type, s.clusterIP === null ? "None" : formatIpv4(s.clusterIP), "<none>", ports(s), age(ctx, s.created), ...(o.wide ? [selectorText(s.selector)] : [])] }));
    case "endpoints":
      return cluster
        .sortedServices()
        .filter((s) => inNs(s.namespace))
        .map((s) => ({ namespace: s.namespace, name: s.name, row: [s.name, endpointList(serviceEndpoints(cluster, s)), age(ctx, s.created)] }));
    case "endpointslice":
      return cluster
        .sortedServices()
        .filter((s) => inNs(s.namespace))
        .map((s) => ({ namespace: s.namespace, name: endpointSliceName(s), row: endpointSliceRow(cluster, s, age(ctx, s.created)) }))
        .sort((a, b) => (a.name < b.name ? -1 : 1));
    case "networkpolicy":
      return networkPolicyRows(cluster, inNs, (created) => age(ctx, created));
    case "deployment":
      // Its containers and images are not modelled, so neither is the wide listing that shows them.
      if (o.wide) notSimulated("kubectl get deployments -o wide");
      return [...cluster.deployments.values()]
        .filter((d) => inNs(d.namespace))
        .sort((a, b) => (a.name < b.name ? -1 : 1))
        .map((d) => {
          const pods = podsOf(cluster, d);
          const ready = pods.filter((p) => p.ready).length;
          return { namespace: d.namespace, name: d.name, row: [d.name, `${ready}/${d.replicas}`, String(pods.length), String(ready), age(ctx, d.created)] };
        });
    case "node":
      return cluster.nodes.map((n) => {
        const host = ctx.net.hosts.get(n)!;
        // The node's INTERNAL-IP: the first global address it has.
        const ip = host.root.deviceList().flatMap((dev) => dev.addresses).find((a) => a.scope === "global");
        return {
          namespace: "",
          name: n,
          row: [n, "Ready", "<none>", age(ctx, cluster.created), VERSION, ...(o.wide ? [ip === undefined ? "<none>" : formatIpv4(ip.address), "<none>", "Debian GNU/Linux 12 (bookworm)", "6.1.0-28-amd64", "containerd://1.7.13"] : [])],
        };
      });
  }
}

const HEADERS: Record<Kind, { plain: string[]; wide: string[] }> = {
  pod: { plain: ["NAME", "READY", "STATUS", "RESTARTS", "AGE"], wide: ["IP", "NODE", "NOMINATED NODE", "READINESS GATES"] },
  service: { plain: ["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE"], wide: ["SELECTOR"] },
  endpoints: { plain: ["NAME", "ENDPOINTS", "AGE"], wide: [] },
  endpointslice: { plain: ["NAME", "ADDRESSTYPE", "PORTS", "ENDPOINTS", "AGE"], wide: [] },
  networkpolicy: { plain: ["NAME", "POD-SELECTOR", "AGE"], wide: [] },
  deployment: { plain: ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"], wide: [] },
  node: { plain: ["NAME", "STATUS", "ROLES", "AGE", "VERSION"], wide: ["INTERNAL-IP", "EXTERNAL-IP", "OS-IMAGE", "KERNEL-VERSION", "CONTAINER-RUNTIME"] },
};

function notFound(kind: Kind, name: string): never {
  fail(`Error from server (NotFound): ${PLURAL[kind]} "${name}" not found`, 1);
}

function get(ctx: CommandContext, cluster: Cluster, o: Options): number {
  const [kinds, ...names] = o.args;
  if (kinds === undefined) fail("You must specify the type of resource to get. Use \"kubectl api-resources\" for a complete list of supported resources.\n\nerror: Required resource not specified.\nUse \"kubectl explain <resource>\" for a detailed description of that resource (e.g. kubectl explain pods).\nSee 'kubectl get -h' for help and examples", 1);
  const list = kinds.split(",").map(kindOf);
  const prefixed = list.length > 1;
  const blocks: string[][] = [];
  const errors: string[] = [];
  for (const kind of list) {
    let rows = objects(ctx, cluster, kind, o);
    if (names.length > 0) {
      for (const n of names) if (!rows.some((r) => r.name === n)) errors.push(`Error from server (NotFound): ${PLURAL[kind]} "${n}" not found`);
      rows = names.flatMap((n) => rows.filter((r) => r.name === n));
    }
    if (rows.length === 0) continue;
    const header = [...HEADERS[kind].plain, ...(o.wide ? HEADERS[kind].wide : []), ...(o.showLabels && kind === "pod" ? ["LABELS"] : [])];
    const label = kind === "endpoints" ? "endpoints" : kind === "endpointslice" ? "endpointslice.discovery.k8s.io" : kind === "networkpolicy" ? "networkpolicy.networking.k8s.io" : kind === "deployment" ? "deployment.apps" : kind;
    const body = rows.map((r) => {
      const row = [...r.row];
      if (prefixed) row[0] = `${label}/${row[0]}`;
      return kind !== "node" && o.all ? [r.namespace, ...row] : row;
    });
    blocks.push(table([kind !== "node" && o.all ? ["NAMESPACE", ...header] : header, ...body]));
  }
  blocks.forEach((b, i) => ctx.out.push(...(i > 0 ? ["", ...b] : b)));
  ctx.out.push(...errors);
  if (blocks.length === 0 && errors.length === 0) ctx.out.push(o.all || list.every((k) => k === "node") ? "No resources found" : `No resources found in ${o.namespace} namespace.`);
  return errors.length > 0 ? 1 : 0;
}

function describeService(cluster: Cluster, s: Service): string[] {
  const rows: [string, string][] = [
    ["Name:", s.name],
    ["Namespace:", s.namespace],
    ["Labels:", "<none>"],
    ["Annotations:", "<none>"],
    ["Selector:", selectorText(s.selector)],
    ["Type:", s.type],
    ["IP Family Policy:", "SingleStack"],
    ["IP Families:", "IPv4"],
    ["IP:", s.clusterIP === null ? "None" : formatIpv4(s.clusterIP)],
    ["IPs:", s.clusterIP === null ? "None" : formatIpv4(s.clusterIP)],
  ];
  for (const p of s.ports) {
    rows.push(["Port:", `${p.name ?? "<unset>"}  ${p.port}/${p.protocol}`]);
    rows.push(["TargetPort:", `${p.targetPort}/${p.protocol}`]);
    if (s.type === "NodePort" && p.nodePort !== null) rows.push(["NodePort:", `${p.name ?? "<unset>"}  ${p.nodePort}/${p.protocol}`]);
    rows.push(["Endpoints:", endpointList(cluster.endpoints(s, p).ready)]);
  }
  rows.push(["Session Affinity:", s.sessionAffinity]);
  if (s.type === "NodePort") rows.push(["External Traffic Policy:", s.externalTrafficPolicy]);
  rows.push(["Events:", "<none>"]);
  return describeBlock(rows);
}

function describe(ctx: CommandContext, cluster: Cluster, o: Options): number {
  const [kindWord, name] = o.args;
  if (kindWord === undefined) fail("error: You must specify the type of resource to describe. Use \"kubectl api-resources\" for a complete list of supported resources.", 1);
  const kind = kindOf(kindWord);
  if (kind === "networkpolicy") return describeNetworkPolicies(ctx, cluster, o.namespace, name);
  if (kind !== "service" && kind !== "endpoints" && kind !== "endpointslice") notSimulated(`kubectl describe ${kindWord}`);
  // A Service, its Endpoints and its EndpointSlice: one object each per Service here.
  const nameOf = (s: Service) => (kind === "endpointslice" ? endpointSliceName(s) : s.name);
  const list = cluster.sortedServices().filter((s) => s.namespace === o.namespace && (name === undefined || nameOf(s) === name));
  if (list.length === 0) {
    if (name !== undefined) notFound(kind, name);
    ctx.out.push(`No resources found in ${o.namespace} namespace.`);
    return 0;
  }
  const one = (s: Service) => (kind === "service" ? describeService(cluster, s) : kind === "endpoints" ? describeEndpoints(cluster, s) : describeEndpointSlice(cluster, s));
  list.forEach((s, i) => ctx.out.push(...(i > 0 ? ["", "", ...one(s)] : one(s))));
  return 0;
}

function deleteObject(ctx: CommandContext, cluster: Cluster, o: Options): number {
  const [kindWord, ...names] = o.args;
  if (kindWord === undefined || names.length === 0) fail("error: resource(s) were provided, but no name was specified", 1);
  const kind = kindOf(kindWord);
  if (kind !== "pod" && kind !== "service" && kind !== "deployment") notSimulated(`kubectl delete ${kindWord}`);
  for (const n of names) {
    const k = key(o.namespace, n);
    if (kind === "pod") {
      const pod = cluster.pods.get(k);
      if (pod === undefined) notFound(kind, n);
      removePod(ctx.net, cluster, pod);
      // Its ReplicaSet makes another at once.
      const owner = pod.owner === undefined ? undefined : cluster.deployments.get(key(pod.namespace, pod.owner));
      if (owner !== undefined) reconcile(ctx.net, cluster, owner, ctx.net.scheduler.now);
    } else if (kind === "deployment") {
      const d = cluster.deployments.get(k);
      if (d === undefined) notFound(kind, n);
      for (const pod of podsOf(cluster, d)) removePod(ctx.net, cluster, pod);
      cluster.deployments.delete(k);
    } else {
      if (!cluster.services.delete(k)) notFound(kind, n);
    }
    ctx.out.push(`${kind === "deployment" ? "deployment.apps" : kind} "${n}" deleted`);
  }
  syncProxies(ctx.net, cluster);
  return 0;
}

function label(ctx: CommandContext, cluster: Cluster, o: Options): number {
  const [kindWord, name, ...changes] = o.args;
  if (kindWord === undefined || name === undefined) fail("error: one or more resources must be specified as <resource> <name> or <resource>/<name>", 1);
  const kind = kindOf(kindWord);
  if (kind !== "pod") notSimulated(`kubectl label ${kindWord}`);
  const pod = cluster.pods.get(key(o.namespace, name));
  if (pod === undefined) notFound(kind, name);
  if (changes.length === 0) fail("error: at least one label update is required", 1);
  const next = { ...pod.labels };
  let removedOnly = true;
  for (const c of changes) {
    if (c.endsWith("-") && !c.includes("=")) {
      delete next[c.slice(0, -1)];
      continue;
    }
    const m = /^([A-Za-z0-9][A-Za-z0-9_./-]*)=([A-Za-z0-9_.-]*)$/.exec(c);
    if (m === null) fail(`error: invalid label spec: ${c}`, 1);
    removedOnly = false;
    if (pod.labels[m[1]!] !== undefined && pod.labels[m[1]!] !== m[2] && !o.overwrite) fail(`error: '${m[1]}' already has a value (${pod.labels[m[1]!]}), and --overwrite is false`, 1);
    next[m[1]!] = m[2]!;
  }
  const changed = JSON.stringify(next) !== JSON.stringify(pod.labels);
  pod.labels = next;
  ctx.out.push(`pod/${name} ${changed ? (removedOnly ? "unlabeled" : "labeled") : "not labeled"}`);
  if (changed) syncProxies(ctx.net, cluster);
  return 0;
}

/** The fields of a Service's spec a merge patch may change here. */
const PATCHABLE = ["selector", "externalTrafficPolicy", "sessionAffinity"];

function patch(ctx: CommandContext, cluster: Cluster, argv: string[]): number {
  let body: string | null = null;
  let type = "strategic";
  const words: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "-p" || a === "--patch") body = argv[++i] ?? null;
    else if (a.startsWith("--patch=")) body = a.slice(8);
    else if (a === "--type") type = argv[++i] ?? "";
    else if (a.startsWith("--type=")) type = a.slice(7);
    else words.push(a);
  }
  if (type === "json") notSimulated("kubectl patch --type json");
  if (type !== "strategic" && type !== "merge") fail(`error: --type must be one of [json merge strategic], not "${type}"`, 1);
  const o = parseOptions(words);
  const [kindWord, name] = o.args;
  if (kindWord === undefined || name === undefined) fail("error: resource(s) were provided, but no name was specified", 1);
  const kind = kindOf(kindWord);
  if (kind === "networkpolicy") return patchNetworkPolicy(ctx, cluster, o.namespace, name, body);
  if (kind !== "service") notSimulated(`kubectl patch ${kindWord}`);
  if (body === null) fail("error: must specify --patch or --patch-file containing the contents of the patch", 1);
  const svc = cluster.services.get(key(o.namespace, name));
  if (svc === undefined) notFound(kind, name);
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    fail(`error: unable to parse "${body}": yaml: did not find expected node content`, 1);
  }
  const spec = (parsed as { spec?: Record<string, unknown> } | null)?.spec;
  if (typeof spec !== "object" || spec === null) fail(`service/${name} patched (no change)`, 0);
  for (const k of Object.keys(spec)) if (!PATCHABLE.includes(k)) notSimulated(`kubectl patch of spec.${k}`);
  const before = JSON.stringify(svc);
  const etp = spec.externalTrafficPolicy;
  if (etp !== undefined) {
    if (etp !== "Cluster" && etp !== "Local") fail(`The Service "${name}" is invalid: spec.externalTrafficPolicy: Unsupported value: "${String(etp)}": supported values: "Cluster", "Local"`, 1);
    if (svc.type !== "NodePort") fail(`The Service "${name}" is invalid: spec.externalTrafficPolicy: Invalid value: "${etp}": may only be set for externally-accessible services`, 1);
  }
  const affinity = spec.sessionAffinity;
  if (affinity !== undefined && affinity !== "None" && affinity !== "ClientIP") fail(`The Service "${name}" is invalid: spec.sessionAffinity: Unsupported value: "${String(affinity)}": supported values: "ClientIP", "None"`, 1);
  const selector = spec.selector;
  if (selector !== undefined && (typeof selector !== "object" || selector === null || Object.values(selector).some((v) => typeof v !== "string" && v !== null))) fail(`error: selector must be a map of strings`, 1);
  if (etp !== undefined) svc.externalTrafficPolicy = etp;
  if (affinity !== undefined) svc.sessionAffinity = affinity;
  if (selector !== undefined) {
    // A merge patch: null removes a key.
    const next = { ...svc.selector };
    for (const [k, v] of Object.entries(selector as Record<string, string | null>)) {
      if (v === null) delete next[k];
      else next[k] = v;
    }
    svc.selector = next;
  }
  const changed = JSON.stringify(svc) !== before;
  ctx.out.push(`service/${name} patched${changed ? "" : " (no change)"}`);
  if (changed) syncProxies(ctx.net, cluster);
  return 0;
}

export const kubectlCommand: CommandHandler = (argv, ctx) => {
  const [verb, ...rest] = argv;
  const cluster = ctx.net.kube;
  if (verb === "version" && rest.includes("--client")) {
    ctx.out.push(`Client Version: ${VERSION}`, "Kustomize Version: v5.0.4-0.20230601165947-6ce0bf390ce3");
    return 0;
  }
  if (cluster === null || !cluster.nodes.includes(ctx.host.name) || ctx.ns !== ctx.host.root) fail(REFUSED, 1);
  if (verb === "patch") return patch(ctx, cluster, rest);
  if (verb === "scale") return scale(ctx, cluster, rest);
  if (verb === "apply") return apply(ctx, cluster, rest);
  if (verb === "exec") return exec(ctx, cluster, rest);
  const o = parseOptions(rest);
  switch (verb) {
    case "get":
      return get(ctx, cluster, o);
    case "describe":
      return describe(ctx, cluster, o);
    case "delete":
      return deleteObject(ctx, cluster, o);
    case "label":
      return label(ctx, cluster, o);
    case undefined:
      fail("kubectl controls the Kubernetes cluster manager.\n\n Find more information at: https://kubernetes.io/docs/reference/kubectl/\n\nUsage:\n  kubectl [flags] [options]", 0);
    default:
      if (["apply", "create", "edit", "logs", "scale", "expose", "run", "rollout", "port-forward", "cp", "top", "annotate", "api-resources", "explain", "config", "cluster-info", "version"].includes(verb)) notSimulated(`kubectl ${verb}`);
      fail(`error: unknown command "${verb}" for "kubectl"\nRun 'kubectl --help' for usage.`, 1);
  }
};
