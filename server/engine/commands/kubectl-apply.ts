/**
 * `kubectl apply -f -` of a small YAML given as a here-document: Services
 * (v1) and Deployments (apps/v1), one or several documents. Each object is
 * checked as the API server would (strict fields, ports, selectors,
 * immutable fields) before anything changes, then created or updated, and
 * kubectl's line printed: "service/web created", "… configured",
 * "… unchanged". A failed object is reported and the next one goes on, as
 * kubectl does; the exit code is 1 when any failed. Changes reach
 * kube-proxy at once (a resync), and a Deployment's pods are made or
 * deleted through the CNI chain.
 *
 * Not modelled: files (the terminal has no file system to write them to:
 * use -f - with a here-document), other kinds, named target ports, a
 * changed pod template (a rollout), the last-applied annotation's
 * three-way merge (fields left out keep their value). Every pod runs the
 * lab's serve_hostname process on its containerPorts, whatever the image.
 */
import { parseAllDocuments } from "yaml";
import { key, type Cluster, type Service, type ServicePort } from "../kube/cluster.js";
import { reconcile, randomString, type Deployment } from "../kube/deployment.js";
import { syncProxies } from "../kube/proxier.js";
import { Compile } from "typebox/compile";
import { probeSchema } from "../kube/probe-schema.js";
import { probeFromSpec, type ProbeSpec, type ReadinessProbe } from "../kube/readiness-probe.js";
import { validateProbe } from "../kube/validate-probe.js";
import { cidrNetwork, parseIpv4, parseIpv4Cidr, prefixMask } from "../wire/ipv4-address.js";
import { fail, type CommandContext } from "./command-context.js";
import { notSimulated } from "./not-simulated.js";

type Obj = Record<string, unknown>;

/** An object the API server refuses: the message kubectl prints. */
class Invalid extends Error {}

const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

function invalid(kind: string, name: string, field: string, why: string): never {
  throw new Invalid(`The ${kind} "${name}" is invalid: ${field}: ${why}`);
}

/** Strict field validation: a field the kind does not have is refused with its path. */
function strict(kind: string, version: string, o: Obj, allowed: Record<string, string[]>): void {
  for (const [path, fields] of Object.entries(allowed)) {
    const at = path === "" ? o : path.split(".").reduce<unknown>((v, k) => (isObj(v) ? v[k] : undefined), o);
    if (!isObj(at)) continue;
    for (const k of Object.keys(at)) {
      if (!fields.includes(k)) throw new Invalid(`Error from server (BadRequest): error when creating "STDIN": ${kind} in version "${version}" cannot be handled as a ${kind}: strict decoding error: unknown field "${path === "" ? k : `${path}.${k}`}"`);
    }
  }
}

function labels(kind: string, name: string, field: string, v: unknown): Record<string, string> {
  if (v === undefined || v === null) return {};
  if (!isObj(v)) invalid(kind, name, field, "must be a map of strings");
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(v)) {
    if (typeof x !== "string" && typeof x !== "number" && typeof x !== "boolean") invalid(kind, name, `${field}.${k}`, "must be a string");
    const value = String(x);
    if (!/^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$/.test(value)) invalid(kind, name, field, `Invalid value: "${value}": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.'`);
    out[k] = value;
  }
  return out;
}

function port(kind: string, name: string, field: string, v: unknown, required: boolean): number | null {
  if (v === undefined || v === null) {
    if (required) invalid(kind, name, field, "Required value");
    return null;
  }
  if (typeof v === "string") notSimulated(`kubectl apply of a named port (${field}: ${v})`);
  if (typeof v !== "number" || !Number.isInteger(v) || v < 1 || v > 65535) invalid(kind, name, field, `Invalid value: ${JSON.stringify(v)}: must be between 1 and 65535, inclusive`);
  return v;
}

const SERVICE_FIELDS = {
  "": ["apiVersion", "kind", "metadata", "spec"],
  metadata: ["name", "namespace", "labels", "annotations"],
  spec: ["type", "selector", "ports", "clusterIP", "externalTrafficPolicy", "sessionAffinity", "sessionAffinityConfig"],
};

function serviceFrom(ctx: CommandContext, cluster: Cluster, o: Obj, namespace: string, existing: Service | undefined): Service {
  strict("Service", "v1", o, SERVICE_FIELDS);
  const meta = o["metadata"] as Obj;
  const name = meta["name"] as string;
  const spec = isObj(o["spec"]) ? o["spec"] : {};
  const type = spec["type"] ?? "ClusterIP";
  if (type === "LoadBalancer" || type === "ExternalName") notSimulated(`kubectl apply of a ${type} Service`);
  if (type !== "ClusterIP" && type !== "NodePort") invalid("Service", name, "spec.type", `Unsupported value: "${String(type)}": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"`);
  const rawPorts = spec["ports"];
  if (!Array.isArray(rawPorts) || rawPorts.length === 0) invalid("Service", name, "spec.ports", "Required value");
  const ports: ServicePort[] = rawPorts.map((p: unknown, i: number) => {
    const f = `spec.ports[${i}]`;
    if (!isObj(p)) invalid("Service", name, f, "must be an object");
    strict("Service", "v1", p, { "": ["name", "protocol", "port", "targetPort", "nodePort"] });
    const protocol = p["protocol"] ?? "TCP";
    if (protocol === "SCTP") notSimulated("kubectl apply of an SCTP port");
    if (protocol !== "TCP" && protocol !== "UDP") invalid("Service", name, `${f}.protocol`, `Unsupported value: "${String(protocol)}": supported values: "SCTP", "TCP", "UDP"`);
    const pn = p["name"];
    if (rawPorts.length > 1 && (typeof pn !== "string" || pn === "")) invalid("Service", name, `${f}.name`, "Required value");
    const number = port("Service", name, `${f}.port`, p["port"], true)!;
    const nodePort = port("Service", name, `${f}.nodePort`, p["nodePort"], false);
    if (nodePort !== null && type !== "NodePort") invalid("Service", name, `${f}.nodePort`, `Forbidden: may not be used when \`type\` is '${String(type)}'`);
    if (nodePort !== null && (nodePort < 30000 || nodePort > 32767)) invalid("Service", name, `${f}.nodePort`, `Invalid value: ${nodePort}: provided port is not in the valid range. The range of valid ports is 30000-32767`);
    const kept = existing?.ports.find((x) => x.port === number && x.protocol === protocol)?.nodePort ?? null;
    return { name: typeof pn === "string" ? pn : null, protocol, port: number, targetPort: port("Service", name, `${f}.targetPort`, p["targetPort"], false) ?? number, nodePort: type === "NodePort" ? (nodePort ?? kept ?? allocateNodePort(ctx, cluster)) : null };
  });
  const etp = spec["externalTrafficPolicy"] ?? "Cluster";
  if (etp !== "Cluster" && etp !== "Local") invalid("Service", name, "spec.externalTrafficPolicy", `Unsupported value: "${String(etp)}": supported values: "Cluster", "Local"`);
  if (etp === "Local" && type !== "NodePort") invalid("Service", name, "spec.externalTrafficPolicy", `Invalid value: "Local": may only be set for externally-accessible services`);
  const affinity = spec["sessionAffinity"] ?? "None";
  if (affinity !== "None" && affinity !== "ClientIP") invalid("Service", name, "spec.sessionAffinity", `Unsupported value: "${String(affinity)}": supported values: "ClientIP", "None"`);
  const config = spec["sessionAffinityConfig"];
  const timeout = isObj(config) && isObj(config["clientIP"]) ? config["clientIP"]["timeoutSeconds"] : undefined;
  if (timeout !== undefined && (typeof timeout !== "number" || !Number.isInteger(timeout) || timeout < 1 || timeout > 86400)) invalid("Service", name, "spec.sessionAffinityConfig.clientIP.timeoutSeconds", `Invalid value: ${JSON.stringify(timeout)}: must be greater than 0 and less than 86400`);
  const asked = spec["clusterIP"];
  if (asked === "None") notSimulated("kubectl apply of a headless Service");
  let clusterIP: number;
  if (asked !== undefined && asked !== null && asked !== "") {
    const ip = parseIpv4(String(asked));
    if (!ip.ok) invalid("Service", name, "spec.clusterIPs[0]", `Invalid value: "${String(asked)}": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)`);
    if (existing !== undefined && existing.clusterIP !== ip.value) invalid("Service", name, "spec.clusterIPs[0]", `Invalid value: []string{"${String(asked)}"}: may not change once set`);
    if (!inServiceCidr(cluster, ip.value)) invalid("Service", name, "spec.clusterIPs", `Invalid value: []string{"${String(asked)}"}: failed to allocate IP ${String(asked)}: the provided IP (${String(asked)}) is not in the valid range. The range of valid IPs is ${cluster.serviceCidr}`);
    const taken = [...cluster.services.values()].find((s) => s !== existing && s.clusterIP === ip.value);
    if (taken !== undefined) invalid("Service", name, "spec.clusterIPs", `Invalid value: []string{"${String(asked)}"}: failed to allocate IP ${String(asked)}: provided IP is already allocated`);
    clusterIP = ip.value;
  } else clusterIP = existing?.clusterIP ?? allocateClusterIP(ctx, cluster);
  return {
    name,
    namespace,
    type,
    clusterIP,
    selector: labels("Service", name, "spec.selector", spec["selector"]),
    ports,
    externalTrafficPolicy: etp,
    sessionAffinity: affinity,
    affinityTimeout: typeof timeout === "number" ? timeout : 10800,
    created: existing?.created ?? ctx.net.scheduler.now,
  };
}

function inServiceCidr(cluster: Cluster, ip: number): boolean {
  const cidr = parseIpv4Cidr(cluster.serviceCidr);
  return cidr.ok && ((ip & prefixMask(cidr.value.prefixLength)) >>> 0) === cidrNetwork(cidr.value);
}

/** The API server's allocator picks a free address of the Service network at random (the session's seeded randomness here). */
function allocateClusterIP(ctx: CommandContext, cluster: Cluster): number {
  const cidr = parseIpv4Cidr(cluster.serviceCidr);
  if (!cidr.ok) fail("error: the cluster's service network is invalid", 1);
  const base = cidrNetwork(cidr.value);
  const size = 2 ** (32 - cidr.value.prefixLength);
  const used = new Set([...cluster.services.values()].map((s) => s.clusterIP));
  for (let tries = 0; tries < 64; tries++) {
    const ip = (base + ctx.net.random.int(1, size - 2)) >>> 0;
    if (!used.has(ip)) return ip;
  }
  throw new Invalid("Internal error occurred: failed to allocate a serviceIP: range is full");
}

function allocateNodePort(ctx: CommandContext, cluster: Cluster): number {
  const used = new Set([...cluster.services.values()].flatMap((s) => s.ports.map((p) => p.nodePort)));
  for (let tries = 0; tries < 64; tries++) {
    const p = ctx.net.random.int(30000, 32767);
    if (!used.has(p)) return p;
  }
  throw new Invalid("Internal error occurred: failed to allocate a nodePort: range is full");
}

const probeValidator = Compile(probeSchema);

/** A container's readinessProbe, checked as the lab file's are. */
function readinessProbe(name: string, field: string, value: unknown): ReadinessProbe {
  if (!probeValidator.Check(value)) {
    const first = [...probeValidator.Errors(value)][0];
    invalid("Deployment", name, `${field}${first?.instancePath.replace(/\//g, ".") ?? ""}`, `Invalid value: ${first?.message ?? "invalid"}`);
  }
  const issue = validateProbe(value as ProbeSpec, "")[0];
  if (issue !== undefined) invalid("Deployment", name, `${field}${issue.path.replace(/\//g, ".")}`, issue.message);
  return probeFromSpec(value as ProbeSpec);
}

const DEPLOYMENT_FIELDS = {
  "": ["apiVersion", "kind", "metadata", "spec"],
  metadata: ["name", "namespace", "labels", "annotations"],
  spec: ["replicas", "selector", "template", "strategy", "minReadySeconds", "revisionHistoryLimit"],
  "spec.selector": ["matchLabels"],
  "spec.template": ["metadata", "spec"],
  "spec.template.metadata": ["labels", "annotations", "name"],
  "spec.template.spec": ["containers"],
};

function deploymentFrom(ctx: CommandContext, o: Obj, namespace: string, existing: Deployment | undefined): Deployment {
  strict("Deployment", "apps/v1", o, DEPLOYMENT_FIELDS);
  const name = (o["metadata"] as Obj)["name"] as string;
  const spec = isObj(o["spec"]) ? o["spec"] : {};
  const replicas = spec["replicas"] ?? 1;
  if (typeof replicas !== "number" || !Number.isInteger(replicas) || replicas < 0) invalid("Deployment", name, "spec.replicas", `Invalid value: ${JSON.stringify(replicas)}: must be greater than or equal to 0`);
  if (replicas > 32) fail(`error: cnlab runs at most 32 replicas of a Deployment (asked for ${replicas})`, 1);
  const selector = isObj(spec["selector"]) ? labels("Deployment", name, "spec.selector.matchLabels", spec["selector"]["matchLabels"]) : null;
  if (selector === null || Object.keys(selector).length === 0) invalid("Deployment", name, "spec.selector", "Required value");
  const template = isObj(spec["template"]) ? spec["template"] : {};
  const podLabels = labels("Deployment", name, "spec.template.metadata.labels", isObj(template["metadata"]) ? template["metadata"]["labels"] : undefined);
  if (!Object.entries(selector).every(([k, v]) => podLabels[k] === v)) {
    const shown = `map[string]string{${Object.entries(podLabels).map(([k, v]) => `"${k}":"${v}"`).join(", ")}}`;
    invalid("Deployment", name, "spec.template.metadata.labels", `Invalid value: ${shown}: \`selector\` does not match template \`labels\``);
  }
  const containers = isObj(template["spec"]) ? template["spec"]["containers"] : undefined;
  if (!Array.isArray(containers) || containers.length === 0) invalid("Deployment", name, "spec.template.spec.containers", "Required value");
  const serve: number[] = [];
  let probe: ReadinessProbe | undefined;
  containers.forEach((c: unknown, i: number) => {
    const f = `spec.template.spec.containers[${i}]`;
    if (!isObj(c)) invalid("Deployment", name, f, "must be an object");
    strict("Deployment", "apps/v1", c, { "": ["name", "image", "ports", "args", "command", "readinessProbe", "resources", "imagePullPolicy"] });
    if (typeof c["name"] !== "string" || c["name"] === "") invalid("Deployment", name, `${f}.name`, "Required value");
    if (typeof c["image"] !== "string" || c["image"] === "") invalid("Deployment", name, `${f}.image`, "Required value");
    const ports = c["ports"] ?? [];
    if (!Array.isArray(ports)) invalid("Deployment", name, `${f}.ports`, "must be a list");
    ports.forEach((p: unknown, j: number) => {
      if (!isObj(p)) invalid("Deployment", name, `${f}.ports[${j}]`, "must be an object");
      strict("Deployment", "apps/v1", p, { "": ["name", "containerPort", "protocol"] });
      serve.push(port("Deployment", name, `${f}.ports[${j}].containerPort`, p["containerPort"], true)!);
    });
    // The pod is ready when every container is; the model keeps one probe per pod: the first container's.
    if (c["readinessProbe"] !== undefined && probe === undefined) probe = readinessProbe(name, `${f}.readinessProbe`, c["readinessProbe"]);
  });
  if (existing !== undefined) {
    if (JSON.stringify(existing.labels) !== JSON.stringify(selector)) invalid("Deployment", name, "spec.selector", `Invalid value: v1.LabelSelector{MatchLabels:map[string]string{${Object.entries(selector).map(([k, v]) => `"${k}":"${v}"`).join(", ")}}}: field is immutable`);
    if (JSON.stringify(existing.serve) !== JSON.stringify(serve) || JSON.stringify(existing.probe) !== JSON.stringify(probe)) notSimulated("kubectl apply of a changed pod template (a rollout)");
  }
  return { name, namespace, replicas, labels: selector, serve, ...(probe === undefined ? {} : { probe }), files: existing?.files ?? [], templateHash: existing?.templateHash ?? randomString(ctx.net.random, 10), created: existing?.created ?? ctx.net.scheduler.now };
}

function applyOne(ctx: CommandContext, cluster: Cluster, o: Obj, namespaceFlag: string): string {
  const missing = [...(o["apiVersion"] === undefined ? ["apiVersion not set"] : []), ...(o["kind"] === undefined ? ["kind not set"] : [])];
  if (missing.length > 0) throw new Invalid(`error: error validating "STDIN": error validating data: ${missing.length > 1 ? `[${missing.join(", ")}]` : missing[0]}; if you choose to ignore these errors, turn validation off with --validate=false`);
  const kind = String(o["kind"]);
  const version = String(o["apiVersion"]);
  const meta = isObj(o["metadata"]) ? o["metadata"] : {};
  const name = meta["name"];
  const namespace = typeof meta["namespace"] === "string" ? meta["namespace"] : namespaceFlag;
  if (typeof meta["namespace"] === "string" && meta["namespace"] !== namespaceFlag && namespaceFlag !== "default") {
    throw new Invalid(`error: the namespace from the provided object "${meta["namespace"]}" does not match the namespace "${namespaceFlag}". You must pass '--namespace=${meta["namespace"]}' to perform this operation.`);
  }
  const resource = kind === "Deployment" ? "apps/v1, Resource=deployments" : `/${version}, Resource=${kind.toLowerCase()}s`;
  if (typeof name !== "string" || name === "") {
    throw new Invalid(`error: error when retrieving current configuration of:\nResource: "${resource}", GroupVersionKind: "${kind === "Deployment" ? "apps/v1" : `/${version}`}, Kind=${kind}"\nName: "", Namespace: "${namespace}"\nfrom server for: "STDIN": resource name may not be empty`);
  }
  if (!/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(name)) invalid(kind, name, "metadata.name", `Invalid value: "${name}": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character`);
  const id = key(namespace, name);
  if (kind === "Service" && version === "v1") {
    const existing = cluster.services.get(id);
    const next = serviceFrom(ctx, cluster, o, namespace, existing);
    if (existing !== undefined && JSON.stringify(existing) === JSON.stringify(next)) return `service/${name} unchanged`;
    cluster.services.set(id, next);
    syncProxies(ctx.net, cluster);
    return `service/${name} ${existing === undefined ? "created" : "configured"}`;
  }
  if (kind === "Deployment" && version === "apps/v1") {
    if (cluster.cni.size === 0) notSimulated("kubectl apply of a Deployment in a lab whose pods are wired by hand (no CNI chain)");
    const existing = cluster.deployments.get(id);
    const next = deploymentFrom(ctx, o, namespace, existing);
    if (existing !== undefined && JSON.stringify(existing) === JSON.stringify(next)) return `deployment.apps/${name} unchanged`;
    cluster.deployments.set(id, next);
    const { added, removed } = reconcile(ctx.net, cluster, next, ctx.net.scheduler.now);
    if (added.length > 0 || removed.length > 0) syncProxies(ctx.net, cluster);
    return `deployment.apps/${name} ${existing === undefined ? "created" : "configured"}`;
  }
  if (["Service", "Deployment"].includes(kind)) throw new Invalid(`error: resource mapping not found for name: "${name}" namespace: "${namespace}" from "STDIN": no matches for kind "${kind}" in version "${version}"\nensure CRDs are installed first`);
  notSimulated(`kubectl apply of kind ${kind}`);
}

export function apply(ctx: CommandContext, cluster: Cluster, argv: string[]): number {
  let file: string | undefined;
  let namespace = "default";
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "-f" || a === "--filename") file = argv[++i] ?? fail(`error: flag needs an argument: '${a.replace(/^-+/, "")}' in ${a}`, 1);
    else if (a.startsWith("--filename=")) file = a.slice(11);
    else if (a.startsWith("-f") && a.length > 2) file = a.slice(2);
    else if (a === "-n" || a === "--namespace") namespace = argv[++i] ?? fail(`error: flag needs an argument: '${a.replace(/^-+/, "")}' in ${a}`, 1);
    else if (a.startsWith("--namespace=")) namespace = a.slice(12);
    else if (a.startsWith("-")) notSimulated(`kubectl apply ${a}`);
    else fail(`error: Unexpected args: [${a}]\nSee 'kubectl apply -h' for help and examples`, 1);
  }
  if (file === undefined) fail("error: must specify one of -f and -k", 1);
  if (file !== "-") fail(`error: the path "${file}" does not exist`, 1);
  if (ctx.stdin === undefined) notSimulated("kubectl apply -f - reading the terminal (give the YAML as a here-document: kubectl apply -f - <<EOF)");
  const docs = parseAllDocuments(ctx.stdin);
  for (const d of Array.isArray(docs) ? docs : [docs]) {
    const e = d.errors[0];
    if (e === undefined) continue;
    // kubectl's YAML library words the commonest mistake, a key indented under a scalar, its own way.
    const why = e.code === "BAD_INDENT" || /nested mappings|implicit keys/i.test(e.message) ? "mapping values are not allowed in this context" : e.message.split(" at line")[0]!.toLowerCase();
    fail(`error: error parsing STDIN: error converting YAML to JSON: yaml: line ${e.linePos?.[0].line ?? 1}: ${why}`, 1);
  }
  const objects = (Array.isArray(docs) ? docs : [docs]).map((d) => d.toJS() as unknown).filter((o) => o !== null && o !== undefined);
  if (objects.length === 0) fail("error: no objects passed to apply", 1);
  let status = 0;
  for (const o of objects) {
    if (!isObj(o)) {
      ctx.out.push(`error: error parsing STDIN: error converting YAML to JSON: yaml: cannot unmarshal ${Array.isArray(o) ? "array" : typeof o} into an object`);
      status = 1;
      continue;
    }
    try {
      ctx.out.push(applyOne(ctx, cluster, o, namespace));
    } catch (err) {
      if (!(err instanceof Invalid)) throw err;
      ctx.out.push(...err.message.split("\n"));
      status = 1;
    }
  }
  return status;
}
