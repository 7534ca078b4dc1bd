/**
 * kubectl on the Kubernetes labs' clusters: what get and describe print (laid
 * out as kubectl's printers lay it out), its errors, and the NodePort
 * Service's two traffic policies seen from the pod.
 */
import { describe, expect, it } from "vitest";
import type { TraceEvent } from "../../../server/engine/trace/trace-event.js";
import { labEngine } from "../helpers/lab-engine.js";

describe("kubectl get and describe", () => {
  const e = labEngine("service-clusterip");
  const run = (command: string, host = "node1") => e.run({ host, command });

  it("get pods, and -o wide with addresses and nodes", () => {
    expect(run("kubectl get pods").output).toBe(
      "NAME              READY   STATUS    RESTARTS   AGE\n" +
        "client            1/1     Running   0          10m\n" +
        "hostnames-7lqfz   1/1     Running   0          10m\n" +
        "hostnames-9xkpb   1/1     Running   0          10m\n" +
        "hostnames-rc2bm   1/1     Running   0          10m\n",
    );
    expect(run("kubectl get po hostnames-rc2bm -o wide").output).toBe(
      "NAME              READY   STATUS    RESTARTS   AGE   IP           NODE    NOMINATED NODE   READINESS GATES\n" + "hostnames-rc2bm   1/1     Running   0          10m   10.244.2.2   node2   <none>           <none>\n",
    );
  });

  it("several kinds at once, each row named kind/name", () => {
    expect(run("kubectl get svc,ep").output).toBe(
      "NAME                TYPE        CLUSTER-IP    EXTERNAL-IP   PORT(S)   AGE\n" +
        "service/hostnames   ClusterIP   10.96.0.100   <none>        80/TCP    10m\n\n" +
        "NAME                  ENDPOINTS                                         AGE\n" +
        "endpoints/hostnames   10.244.1.2:9376,10.244.1.3:9376,10.244.2.2:9376   10m\n",
    );
  });

  it("describe svc", () => {
    expect(run("kubectl describe svc hostnames").output).toBe(
      [
        "Name:              hostnames",
        "Namespace:         default",
        "Labels:            <none>",
        "Annotations:       <none>",
        "Selector:          app=hostnames",
        "Type:              ClusterIP",
        "IP Family Policy:  SingleStack",
        "IP Families:       IPv4",
        "IP:                10.96.0.100",
        "IPs:               10.96.0.100",
        "Port:              <unset>  80/TCP",
        "TargetPort:        9376/TCP",
        "Endpoints:         10.244.1.2:9376,10.244.1.3:9376,10.244.2.2:9376",
        "Session Affinity:  None",
        "Events:            <none>",
        "",
      ].join("\n"),
    );
  });

  it("ages follow the simulation's clock", () => {
    const later = labEngine("service-clusterip");
    later.run({ host: "node1", command: "sleep 3000" });
    expect(later.run({ host: "node1", command: "kubectl get nodes" }).output).toBe("NAME    STATUS   ROLES    AGE   VERSION\nnode1   Ready    <none>   60m   v1.28.2\nnode2   Ready    <none>   60m   v1.28.2\n");
  });

  it("errors as kubectl prints them", () => {
    expect(run("kubectl get svc nosuch")).toMatchObject({ output: 'Error from server (NotFound): services "nosuch" not found\n', exitCode: 1 });
    expect(run("kubectl get pods -n kube-system")).toMatchObject({ output: "No resources found in kube-system namespace.\n", exitCode: 0 });
    expect(run("kubectl get widgets")).toMatchObject({ output: 'error: the server doesn\'t have a resource type "widgets"\n', exitCode: 1 });
    expect(run("kubectl frobnicate")).toMatchObject({ output: 'error: unknown command "frobnicate" for "kubectl"\nRun \'kubectl --help\' for usage.\n', exitCode: 1 });
    expect(run("kubectl get replicasets").output).toBe("kubectl replicasets: not simulated in cnlab\n");
    // A lab without Deployments lists none, as kubectl does.
    expect(run("kubectl get deployments").output).toBe("No resources found in default namespace.\n");
    expect(e.run({ host: "node2", namespace: "client", command: "kubectl get pods" })).toMatchObject({
      output: "The connection to the server localhost:8080 was refused - did you specify the right host or port?\n",
      exitCode: 1,
    });
    expect(run("kubectl label pod client run=other").output).toBe("error: 'run' already has a value (client), and --overwrite is false\n");
    expect(run("kubectl patch svc hostnames -p '{\"spec\":{\"externalTrafficPolicy\":\"Local\"}}'").output).toBe(
      'The Service "hostnames" is invalid: spec.externalTrafficPolicy: Invalid value: "Local": may only be set for externally-accessible services\n',
    );
  });

  it("a patched selector moves the endpoints, and the rules with them", () => {
    const p = labEngine("service-clusterip");
    expect(p.run({ host: "node1", command: "kubectl patch svc hostnames -p '{\"spec\":{\"selector\":{\"app\":\"hostname\"}}}'" }).output).toBe("service/hostnames patched\n");
    expect(p.run({ host: "node1", command: "kubectl get ep hostnames" }).output).toContain("hostnames   <none>");
    expect(p.run({ host: "node1", command: "kubectl patch svc hostnames -p '{\"spec\":{\"selector\":{\"app\":\"hostname\"}}}'" }).output).toBe("service/hostnames patched (no change)\n");
    expect(p.run({ host: "node1", command: "kubectl patch svc hostnames -p '{\"spec\":{\"selector\":{\"app\":\"hostnames\"}}}'" }).output).toBe("service/hostnames patched\n");
    expect(p.run({ host: "node2", namespace: "client", command: "curl -s http://10.96.0.100/" }).exitCode).toBe(0);
  });
});

const acceptedFrom = (events: TraceEvent[]) =>
  events.filter((ev) => ev.kind === "tcp-state" && ev.namespace === "web-5c7d8" && ev.summary.endsWith("CLOSED → SYN-RECV")).map((ev) => /↔ ([\d.]+):/.exec(ev.summary)![1]);

describe("a NodePort Service from outside the cluster", () => {
  it("Cluster policy: any node answers, and the pod sees the node that forwarded, not the client", () => {
    const e = labEngine("service-nodeport");
    const viaNode2 = e.run({ host: "outside", command: "curl -s http://10.168.0.3:30080/" });
    expect(viaNode2.output).toBe("web-5c7d8\n");
    expect(acceptedFrom(viaNode2.events)).toEqual(["10.168.0.3"]);
    // Through node1, where the pod is, the masquerade still happens: the source is node1's address on cni0.
    const viaNode1 = e.run({ host: "outside", command: "curl -s http://10.168.0.2:30080/" });
    expect(acceptedFrom(viaNode1.events)).toEqual(["10.244.1.1"]);
  });

  it("Local policy: the pod sees the client through node1; node2 drops it as having no local endpoints", () => {
    const e = labEngine("service-nodeport");
    e.run({ host: "node2", command: "kubectl patch svc web -p '{\"spec\":{\"externalTrafficPolicy\":\"Local\"}}'" });
    const viaNode1 = e.run({ host: "outside", command: "curl -s http://10.168.0.2:30080/" });
    expect(acceptedFrom(viaNode1.events)).toEqual(["10.168.0.10"]);
    const viaNode2 = e.run({ host: "outside", command: "curl -s --connect-timeout 1 http://10.168.0.3:30080/" });
    expect(viaNode2.exitCode).toBe(28);
    expect(viaNode2.events.filter((ev) => ev.kind === "netfilter" && ev.target === "DROP").map((ev) => (ev.kind === "netfilter" ? ev.chain : ""))).toContain("KUBE-EXTERNAL-SERVICES");
    // The node itself still reaches the Service through its own port: KUBE-EXT routes LOCAL traffic to the cluster chain.
    expect(e.run({ host: "node2", command: "curl -s http://10.168.0.3:30080/" }).output).toBe("web-5c7d8\n");
  });
});
