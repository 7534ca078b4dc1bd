/**
 * Endpoints that go unready at run time: the kubelet's readiness probe run on
 * the session's clock against what the pod really has (its files for an exec
 * probe, its listeners for tcpSocket and httpGet), the pod's READY column,
 * the Endpoints and EndpointSlice, and kube-proxy's resync that adds and
 * removes the KUBE-SEP chain, event by event.
 */
import { describe, expect, it } from "vitest";
import type { Engine } from "../../../server/engine/engine.js";
import type { TopologySpec } from "../../../server/engine/topology/topology-schema.js";
import type { TraceEvent } from "../../../server/engine/trace/trace-event.js";
import { engineFor, labEngine, loadLab } from "../helpers/lab-engine.js";

const SECOND = 1_000_000;
const PATCH = "kubectl patch svc web -p '{\"spec\":{\"selector\":{\"app\":\"web\"}}}'";

/** The service-debugging lab with its selector fixed: web-6f7b9-xk2lp ready, web-6f7b9-qm8zd missing /tmp/healthy. */
function fixedLab(topology?: TopologySpec): { e: Engine; run: (command: string, at: number, host?: string, namespace?: string) => ReturnType<Engine["run"]> } {
  const e = topology === undefined ? labEngine("service-debugging") : engineFor(topology);
  const run = (command: string, at: number, host = "node2", namespace?: string) => e.run({ host, command, at: at * SECOND, ...(namespace === undefined ? {} : { namespace }) });
  run(PATCH, 1);
  return { e, run };
}

const kube = (events: TraceEvent[]) => events.filter((x) => x.kind === "probe" || x.kind === "proxy-sync");

describe("readiness probes", () => {
  it("an unready pod: 0/1, among the endpoints' NotReadyAddresses, in the EndpointSlice with Ready false, with no KUBE-SEP chain", () => {
    const { run } = fixedLab();
    expect(run("kubectl get pods web-6f7b9-qm8zd web-6f7b9-xk2lp", 2).output).toBe(
      "NAME              READY   STATUS    RESTARTS   AGE\n" + "web-6f7b9-qm8zd   0/1     Running   0          10m\n" + "web-6f7b9-xk2lp   1/1     Running   0          10m\n",
    );
    expect(run("kubectl get endpoints web", 3).output).toBe("NAME   ENDPOINTS         AGE\nweb    10.244.1.2:9376   10m\n");
    expect(run("kubectl get endpointslices", 4).output).toBe("NAME        ADDRESSTYPE   PORTS   ENDPOINTS               AGE\nweb-5wpwz   IPv4          9376    10.244.1.2,10.244.2.2   10m\n");
    expect(run("kubectl describe endpoints web", 5).output).toBe(
      [
        "Name:         web",
        "Namespace:    default",
        "Labels:       <none>",
        "Annotations:  <none>",
        "Subsets:",
        "  Addresses:          10.244.1.2",
        "  NotReadyAddresses:  10.244.2.2",
        "  Ports:",
        "    Name     Port  Protocol",
        "    ----     ----  --------",
        "    <unset>  9376  TCP",
        "",
        "Events:  <none>",
        "",
      ].join("\n"),
    );
    const slice = run("kubectl describe endpointslice web-5wpwz", 6).output;
    expect(slice).toContain("Labels:       endpointslice.kubernetes.io/managed-by=endpointslice-controller.k8s.io\n              kubernetes.io/service-name=web\n");
    expect(slice).toContain("  - Addresses:  10.244.2.2\n    Conditions:\n      Ready:    false\n    Hostname:   <unset>\n    TargetRef:  Pod/web-6f7b9-qm8zd\n    NodeName:   node2\n    Zone:       <unset>\nEvents:         <none>\n");
    expect(run("iptables -t nat -S", 7).output).not.toContain("10.244.2.2:9376");
  });

  it("the file restored: the next probe passes, the pod is ready, and kube-proxy on each node adds its KUBE-SEP chain and splits the Service 1/2", () => {
    const { run } = fixedLab();
    const touched = run("kubectl exec web-6f7b9-qm8zd -- touch /tmp/healthy", 2);
    expect(touched.exitCode).toBe(0);
    expect(kube(touched.events)).toEqual([]);
    // The lab's probes run every 10 s from its start: the next one, at 10 s, sees the file.
    const later = run("kubectl get pods web-6f7b9-qm8zd", 11);
    expect(later.output).toContain("web-6f7b9-qm8zd   1/1     Running");
    const events = kube(later.events);
    expect(events.map((x) => `${x.kind} ${x.host} ${x.time / SECOND}`)).toEqual(["probe node2 10", "proxy-sync node1 10", "proxy-sync node2 10"]);
    expect(events[0]).toMatchObject({ kind: "probe", namespace: "web-6f7b9-qm8zd", pod: "default/web-6f7b9-qm8zd", probe: "exec [cat /tmp/healthy] delay=0s timeout=1s period=10s #success=1 #failure=3", result: "success", ready: true });
    expect(events[1]).toMatchObject({ kind: "proxy-sync", service: "default/web", endpoints: "10.244.1.2:9376,10.244.2.2:9376" });
    expect(events[1]!.summary).toContain("KUBE-SEP-M5OOO53L2JWBHOFO (10.244.2.2:9376) added");
    expect(events[1]!.summary).toContain("--probability 0.5000000000, then the last");
    const svc = run("iptables -t nat -S KUBE-SVC-LOLE4ISW44XBNF3G", 12).output;
    expect(svc).toContain('-m comment --comment "default/web -> 10.244.1.2:9376" -m statistic --mode random --probability 0.50000000000 -j KUBE-SEP-7STPI73TOGGX5M5Y');
    expect(svc).toContain('-m comment --comment "default/web -> 10.244.2.2:9376" -j KUBE-SEP-M5OOO53L2JWBHOFO');
    expect(run("iptables -t nat -S KUBE-SEP-M5OOO53L2JWBHOFO", 13).output).toContain("-j DNAT --to-destination 10.244.2.2:9376");
  });

  it("the file removed from a ready pod: ready until the third failure in a row, then out of the endpoints, and the Service answers only from the other pod", () => {
    const { run } = fixedLab();
    run("kubectl exec web-6f7b9-qm8zd -- touch /tmp/healthy", 2);
    run("kubectl exec web-6f7b9-xk2lp -- rm /tmp/healthy", 12);
    const two = run("kubectl get pods web-6f7b9-xk2lp", 31);
    expect(two.output).toContain("1/1");
    const failures = kube(two.events);
    expect(failures.map((x) => (x.kind === "probe" ? `${x.result} ${x.ready} ${x.time / SECOND}` : x.kind))).toEqual(["failure true 20", "failure true 30"]);
    expect(failures[0]).toMatchObject({ host: "node1", detail: "cat: can't open '/tmp/healthy': No such file or directory" });
    expect(failures[0]!.summary).toBe("kubelet: readiness probe of default/web-6f7b9-xk2lp failed: cat: can't open '/tmp/healthy': No such file or directory (1 of 3 in a row)");
    const third = run("kubectl get endpoints web", 41);
    expect(third.output).toContain("web    10.244.2.2:9376   10m");
    expect(kube(third.events).map((x) => (x.kind === "probe" ? `probe ${x.ready}` : `${x.kind} ${x.host} ${x.endpoints}`))).toEqual(["probe false", "proxy-sync node1 10.244.2.2:9376", "proxy-sync node2 10.244.2.2:9376"]);
    expect(run("iptables -t nat -S", 42, "node1").output).not.toContain("KUBE-SEP-7STPI73TOGGX5M5Y");
    for (let i = 0; i < 4; i++) expect(run("curl -s http://10.96.0.80/", 43 + i, "node2", "client").output).toBe("web-6f7b9-qm8zd\n");
  });

  it("no ready pod left: kube-proxy's REJECT comes back and the connection is refused", () => {
    const { run } = fixedLab();
    run("kubectl exec web-6f7b9-xk2lp -- rm -f /tmp/healthy", 2);
    const r = run("curl -sS http://10.96.0.80/", 35, "node2", "client");
    expect(kube(r.events).filter((x) => x.kind === "proxy-sync").map((x) => x.kind === "proxy-sync" && x.endpoints)).toEqual(["<none>", "<none>"]);
    expect(r.exitCode).toBe(7);
    expect(run("iptables -S KUBE-SERVICES", 36).output).toContain('"default/web has no endpoints"');
  });

  it("tcpSocket and httpGet probes test the pod's listeners: a tcpSocket probe of the served port passes, an httpGet of a port nothing serves keeps the pod out", () => {
    const topology = structuredClone(loadLab("service-debugging").topology) as TopologySpec;
    const pods = topology.kubernetes!.pods!;
    pods[0]!.readinessProbe = { tcpSocket: { port: 9376 } };
    pods[1]!.readinessProbe = { httpGet: { path: "/healthz", port: 8080 }, periodSeconds: 5 };
    const { run } = fixedLab(topology);
    expect(run("kubectl get endpoints web", 2).output).toContain("web    10.244.1.2:9376   10m");
    const r = run("kubectl get pods web-6f7b9-qm8zd", 30);
    expect(r.output).toContain("0/1");
    // Unready since the lab's start: its failures are counted, not traced again.
    expect(kube(r.events)).toEqual([]);
  });

  it("a pod that stays unready: only the failures that count toward its flip are traced, however long the session waits", () => {
    const { run } = fixedLab();
    run("kubectl exec web-6f7b9-xk2lp -- rm /tmp/healthy", 2);
    const day = run("kubectl get pods web-6f7b9-xk2lp", 86_400);
    expect(day.output).toContain("0/1");
    expect(kube(day.events).map((x) => (x.kind === "probe" ? `probe ${x.result} ${x.ready}` : x.kind))).toEqual(["probe failure true", "probe failure true", "probe failure false", "proxy-sync", "proxy-sync"]);
  });

  it("a Deployment's pod made again after kubectl delete pod starts not ready, and joins the endpoints at its first passing probe", () => {
    const topology = structuredClone(loadLab("cni-bridge-plugin").topology) as TopologySpec;
    const d = topology.kubernetes!.deployments![0]!;
    d.readinessProbe = { tcpSocket: { port: 8080 }, initialDelaySeconds: 5 };
    // A second Deployment whose probe asks a port its pods do not serve: its new pod's failures are traced, up to the threshold.
    const e = engineFor(topology);
    const at = (s: number) => s * SECOND;
    const pods = e.run({ host: "node1", command: "kubectl get pods", at: at(1) }).output;
    const victim = /^(web-\S+)\s+1\/1/m.exec(pods)![1]!;
    const deleted = e.run({ host: "node1", command: `kubectl delete pod ${victim}`, at: at(2) });
    expect(deleted.output).toBe(`pod "${victim}" deleted\n`);
    const fresh = e.run({ host: "node1", command: "kubectl get pods", at: at(3) }).output;
    const newcomer = fresh.split("\n").find((l) => l.startsWith("web-") && !l.startsWith(victim) && l.includes("0/1"));
    expect(newcomer, fresh).toBeDefined();
    const ready = e.run({ host: "node1", command: "kubectl get pods", at: at(8) });
    expect(ready.output).not.toContain("0/1");
    const events = kube(ready.events);
    expect(events[0]).toMatchObject({ kind: "probe", result: "success", ready: true, time: at(7) });
    expect(events.filter((x) => x.kind === "proxy-sync").length).toBeGreaterThan(0);
  });

  it("a new pod whose httpGet probe asks a port nothing serves: three failures with the kubelet's dial error, then silence, and never an endpoint", () => {
    const topology = structuredClone(loadLab("cni-bridge-plugin").topology) as TopologySpec;
    topology.kubernetes!.deployments![0]!.readinessProbe = { httpGet: { path: "/healthz", port: 9999 }, periodSeconds: 5 };
    const e = engineFor(topology);
    const pods = e.run({ host: "node1", command: "kubectl get pods", at: SECOND }).output;
    const victim = /^(web-\S+)\s+0\/1/m.exec(pods)![1]!;
    // The first probe runs as the pod starts (initialDelaySeconds 0), while kubectl's command settles.
    const deleted = e.run({ host: "node1", command: `kubectl delete pod ${victim}`, at: 2 * SECOND });
    const r = e.run({ host: "node1", command: "kubectl get endpoints web", at: 60 * SECOND });
    expect(r.output).toContain("<none>");
    const failures = kube([...deleted.events, ...r.events]).filter((x): x is Extract<TraceEvent, { kind: "probe" }> => x.kind === "probe");
    expect(failures.map((x) => [x.result, x.ready])).toEqual([
      ["failure", false],
      ["failure", false],
      ["failure", false],
    ]);
    expect(failures[0]!.detail).toMatch(/^Get "http:\/\/10\.244\.\d+\.\d+:9999\/healthz": dial tcp 10\.244\.\d+\.\d+:9999: connect: connection refused$/);
    expect(failures[0]!.probe).toBe("http-get http://:9999/healthz delay=0s timeout=1s period=5s #success=1 #failure=3");
  });
});

describe("kubectl exec", () => {
  const e = labEngine("service-debugging");
  const run = (command: string) => e.run({ host: "node1", command });

  it("runs the file commands in the pod's container, with busybox's words and kubectl's exit status", () => {
    expect(run("kubectl exec web-6f7b9-xk2lp -- cat /tmp/healthy")).toMatchObject({ output: "", exitCode: 0 });
    expect(run("kubectl exec -it web-6f7b9-qm8zd -- ls /tmp/healthy")).toMatchObject({ output: "ls: /tmp/healthy: No such file or directory\ncommand terminated with exit code 1\n", exitCode: 1 });
    expect(run("kubectl exec web-6f7b9-qm8zd -- rm /tmp/healthy")).toMatchObject({ output: "rm: can't remove '/tmp/healthy': No such file or directory\ncommand terminated with exit code 1\n", exitCode: 1 });
    expect(run("kubectl exec web-6f7b9-qm8zd -- test -e /tmp/healthy")).toMatchObject({ output: "command terminated with exit code 1\n", exitCode: 1 });
  });

  it("its errors: the old form without --, no command, an unknown pod, a tool the model does not run", () => {
    expect(run("kubectl exec web-6f7b9-xk2lp cat /tmp/healthy").output).toBe("error: exec [POD] [COMMAND] is not supported anymore. Use exec [POD] -- [COMMAND] instead\nSee 'kubectl exec -h' for help and examples\n");
    expect(run("kubectl exec web-6f7b9-xk2lp").output).toBe("error: you must specify at least one command for the container\n");
    expect(run("kubectl exec nope -- touch /x")).toMatchObject({ output: 'Error from server (NotFound): pods "nope" not found\n', exitCode: 1 });
    expect(run("kubectl exec web-6f7b9-xk2lp -- sh -c 'rm /tmp/healthy'").output).toBe("kubectl exec -- sh: not simulated in cnlab\n");
  });
});
