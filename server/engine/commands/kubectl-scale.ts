/**
 * `kubectl scale deployment NAME --replicas=N` (also deploy/NAME, -n):
 * the Deployment's replica count changes, its ReplicaSet makes or deletes
 * pods at once (each new pod attached by the node's CNI chain, each
 * deleted one detached), and kube-proxy on every node resyncs as the
 * endpoints change. Messages as kubectl v1.28 prints them.
 */
import { reconcile } from "../kube/deployment.js";
import { key, type Cluster } from "../kube/cluster.js";
import { syncProxies } from "../kube/proxier.js";
import { fail, type CommandContext } from "./command-context.js";
import { notSimulated } from "./not-simulated.js";

const DEPLOYMENT = ["deployment", "deployments", "deploy", "deployment.apps", "deployments.apps"];
const OTHER_SCALABLE = ["replicaset", "replicasets", "rs", "statefulset", "statefulsets", "sts", "replicationcontroller", "replicationcontrollers", "rc"];

export function scale(ctx: CommandContext, cluster: Cluster, argv: string[]): number {
  let replicas: string | undefined;
  let namespace = "default";
  const words: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--replicas") replicas = argv[++i] ?? fail("error: flag needs an argument: --replicas", 1);
    else if (a.startsWith("--replicas=")) replicas = a.slice(11);
    else if (a === "-n" || a === "--namespace") namespace = argv[++i] ?? fail(`error: flag needs an argument: '${a.replace(/^-+/, "")}' in ${a}`, 1);
    else if (a.startsWith("--namespace=")) namespace = a.slice(12);
    else if (a.startsWith("-")) notSimulated(`kubectl scale ${a}`);
    else words.push(a);
  }
  if (replicas === undefined) fail('error: required flag(s) "replicas" not set', 1);
  if (!/^-?\d+$/.test(replicas)) fail(`error: invalid argument "${replicas}" for "--replicas" flag: strconv.ParseInt: parsing "${replicas}": invalid syntax`, 1);
  const count = Number(replicas);
  if (count < 0) fail("error: The --replicas=COUNT flag is required, and COUNT must be greater than or equal to 0", 1);
  const [kindWord, nameWord] = words[0]?.includes("/") ? words[0].split("/", 2) : words;
  if (kindWord === undefined || nameWord === undefined) fail("error: resource(s) were provided, but no name was specified", 1);
  if (OTHER_SCALABLE.includes(kindWord.toLowerCase())) notSimulated(`kubectl scale ${kindWord}`);
  if (!DEPLOYMENT.includes(kindWord.toLowerCase())) fail(`error: the server doesn't have a resource type "${kindWord}"`, 1);
  const d = cluster.deployments.get(key(namespace, nameWord));
  if (d === undefined) fail(`Error from server (NotFound): deployments.apps "${nameWord}" not found`, 1);
  // More than the node leases can address is refused here rather than left half-made.
  if (count > 32) fail(`error: cnlab runs at most 32 replicas of a Deployment (asked for ${count})`, 1);
  d.replicas = count;
  ctx.out.push(`deployment.apps/${d.name} scaled`);
  const { added, removed } = reconcile(ctx.net, cluster, d, ctx.net.scheduler.now);
  if (added.length > 0 || removed.length > 0) syncProxies(ctx.net, cluster);
  return 0;
}
