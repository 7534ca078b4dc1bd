/**
 * The kubelet's readiness prober (pkg/kubelet/prober: worker.go, prober.go)
 * for one pod: every periodSeconds of the session's clock, after
 * initialDelaySeconds, it runs the probe against what the pod really has
 *   tcpSocket: a TCP listener on the port in the pod's network namespace
 *     (the kubelet's dial to podIP:port);
 *   httpGet: the same listener, answering (serve_hostname answers 200 to
 *     any path);
 *   exec: `cat FILE`, `ls FILE`, `test -e|-f FILE` in the container, against
 *     the files it holds (which `kubectl exec POD -- touch|rm FILE` changes);
 * and flips the pod's Ready condition after failureThreshold failures in a
 * row (ready → not ready) or successThreshold successes in a row (not ready →
 * ready), as the worker's resultRun counts them. A new pod starts not ready,
 * as its readiness result starts as Failure. On a flip the endpoints change
 * and the caller's resync runs (kube-proxy and the policy controller).
 *
 * The probes that count toward a flip are `probe` trace events: a failure
 * while fewer than failureThreshold have failed in a row, a success while
 * the pod is not ready and fewer than successThreshold have passed (the
 * kubelet's "Readiness probe failed" event and its success log). A pod that
 * stays unready is still probed every period, but its repeated failures are
 * only counted, as the kubelet's event recorder aggregates them: a session
 * left for a day must not fill its next command's trace with them. The
 * probe's own packets are not simulated.
 * Not modelled: timeoutSeconds (a probe here never hangs), the worker's
 * random start jitter, startup and liveness probes, gRPC probes.
 */
import type { Timer } from "../sim/scheduler.js";
import type { Network } from "../topology/network.js";
import { formatIpv4 } from "../wire/ipv4-address.js";
import type { Pod } from "./cluster.js";

const SECOND = 1_000_000;

export type ProbeHandler = { kind: "tcpSocket"; port: number } | { kind: "httpGet"; path: string; port: number } | { kind: "exec"; command: string[] };

export interface ReadinessProbe {
  handler: ProbeHandler;
  initialDelaySeconds: number;
  periodSeconds: number;
  timeoutSeconds: number;
  successThreshold: number;
  failureThreshold: number;
}

/** The lab file's and kubectl apply's readinessProbe, with the API server's defaults. */
export interface ProbeSpec {
  tcpSocket?: { port: number };
  httpGet?: { path?: string; port: number };
  exec?: { command: string[] };
  initialDelaySeconds?: number;
  periodSeconds?: number;
  timeoutSeconds?: number;
  successThreshold?: number;
  failureThreshold?: number;
}

export function probeFromSpec(p: ProbeSpec): ReadinessProbe {
  const handler: ProbeHandler = p.exec !== undefined ? { kind: "exec", command: [...p.exec.command] } : p.httpGet !== undefined ? { kind: "httpGet", path: p.httpGet.path ?? "/", port: p.httpGet.port } : { kind: "tcpSocket", port: p.tcpSocket!.port };
  return { handler, initialDelaySeconds: p.initialDelaySeconds ?? 0, periodSeconds: p.periodSeconds ?? 10, timeoutSeconds: p.timeoutSeconds ?? 1, successThreshold: p.successThreshold ?? 1, failureThreshold: p.failureThreshold ?? 3 };
}

/** The exec commands a probe may run here: what they test and how busybox says the file is missing. */
export function execProbeFile(command: string[]): { path: string; missing: string } | null {
  const [tool, a, b, extra] = command;
  if (extra !== undefined) return null;
  if (tool === "cat" && a !== undefined && b === undefined) return { path: a, missing: `cat: can't open '${a}': No such file or directory` };
  if (tool === "ls" && a !== undefined && b === undefined) return { path: a, missing: `ls: ${a}: No such file or directory` };
  if (tool === "test" && (a === "-e" || a === "-f") && b !== undefined) return { path: b, missing: "" };
  return null;
}

/** describe pod's Readiness line: the handler, then the timings. */
export function probeText(p: ReadinessProbe): string {
  const h = p.handler;
  const what = h.kind === "tcpSocket" ? `tcp-socket :${h.port}` : h.kind === "httpGet" ? `http-get http://:${h.port}${h.path}` : `exec [${h.command.join(" ")}]`;
  return `${what} delay=${p.initialDelaySeconds}s timeout=${p.timeoutSeconds}s period=${p.periodSeconds}s #success=${p.successThreshold} #failure=${p.failureThreshold}`;
}

/** One probe's result: its output when it failed, as the kubelet words it. */
export function runProbe(net: Network, pod: Pod, probe: ReadinessProbe): { ok: true } | { ok: false; output: string } {
  const h = probe.handler;
  if (h.kind === "exec") {
    const test = execProbeFile(h.command)!;
    return pod.files.has(test.path) ? { ok: true } : { ok: false, output: test.missing };
  }
  const ns = net.hosts.get(pod.node)?.namespaces.get(pod.netns);
  if (ns?.sockets.findListener(pod.ip, h.port) !== undefined) return { ok: true };
  const dial = `dial tcp ${formatIpv4(pod.ip)}:${h.port}: connect: connection refused`;
  return { ok: false, output: h.kind === "httpGet" ? `Get "http://${formatIpv4(pod.ip)}:${h.port}${h.path}": ${dial}` : dial };
}

/** The worker's state for one pod. */
export interface ProbeWorker {
  /** The last result and how many times in a row it came. */
  last: boolean | null;
  run: number;
  timer: Timer | null;
}

/** A failed probe as the kubelet's recorder keeps it: counted, first and last seen (what describe pod's Events show). */
export interface ProbeFailure {
  message: string;
  count: number;
  first: number;
  last: number;
}

/**
 * Runs one probe, updates the pod's readiness, and says whether it flipped.
 * Records the trace event and the failure (aggregated as the kubelet's event recorder does).
 */
export function probeOnce(net: Network, pod: Pod, probe: ReadinessProbe, worker: ProbeWorker): boolean {
  const result = runProbe(net, pod, probe);
  worker.run = worker.last === result.ok ? worker.run + 1 : 1;
  worker.last = result.ok;
  const before = pod.ready;
  if (result.ok && !pod.ready && worker.run >= probe.successThreshold) pod.ready = true;
  if (!result.ok && pod.ready && worker.run >= probe.failureThreshold) pod.ready = false;
  if (!result.ok) {
    const message = `Readiness probe failed: ${result.output}`;
    const seen = pod.probeFailures.find((f) => f.message === message);
    const now = net.scheduler.now;
    if (seen === undefined) pod.probeFailures.push({ message, count: 1, first: now, last: now });
    else {
      seen.count++;
      seen.last = now;
    }
  }
  const counting = result.ok ? !before && worker.run <= probe.successThreshold : worker.run <= probe.failureThreshold;
  if (counting) {
    const flip = pod.ready !== before ? `: pod ${pod.ready ? "ready" : "not ready"}` : ` (${worker.run} of ${result.ok ? probe.successThreshold : probe.failureThreshold} in a row)`;
    const outcome = result.ok ? "succeeded" : `failed: ${result.output}`;
    net.trace.emit({
      seq: 0,
      time: 0,
      kind: "probe",
      host: pod.node,
      namespace: pod.netns,
      device: null,
      packetId: null,
      layers: null,
      summary: `kubelet: readiness probe of ${pod.namespace}/${pod.name} ${outcome}${flip}`,
      pod: `${pod.namespace}/${pod.name}`,
      probe: probeText(probe),
      result: result.ok ? "success" : "failure",
      ready: pod.ready,
      detail: result.ok ? "" : result.output,
    });
  }
  return pod.ready !== before;
}

/**
 * Starts the pod's worker: the first probe after initialDelaySeconds (at once when settled is
 * given: a lab's pod whose cluster has been up a while, its result already standing), then
 * every periodSeconds; `changed` runs after a probe that flipped the pod's readiness.
 */
export function startProber(net: Network, pod: Pod, probe: ReadinessProbe, changed: () => void, settled: boolean): ProbeWorker {
  const worker: ProbeWorker = { last: null, run: 0, timer: null };
  const tick = () => {
    if (probeOnce(net, pod, probe, worker)) changed();
    worker.timer = net.scheduler.after(probe.periodSeconds * SECOND, tick);
  };
  if (settled) {
    const r = runProbe(net, pod, probe);
    pod.ready = r.ok;
    worker.last = r.ok;
    worker.run = r.ok ? probe.successThreshold : probe.failureThreshold;
    worker.timer = net.scheduler.after(probe.periodSeconds * SECOND, tick);
  } else {
    pod.ready = false;
    worker.timer = net.scheduler.after(probe.initialDelaySeconds * SECOND, tick);
  }
  return worker;
}

export function stopProber(worker: ProbeWorker): void {
  if (worker.timer !== null) worker.timer.cancelled = true;
  worker.timer = null;
}
