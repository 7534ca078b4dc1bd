/**
 * kubectl apply -f - with a here-document: Services and Deployments made and
 * changed, kube-proxy's rules and the CNI chain following, and the API
 * server's refusals worded as kubectl prints them (the YAML and validation
 * messages held to kubectl v1.28's own).
 */
import { describe, expect, it } from "vitest";
import { labEngine } from "../helpers/lab-engine.js";

const SERVICE = `apiVersion: v1
kind: Service
metadata:
  name: api
spec:
  selector: { app: api }
  ports:
  - port: 80
    targetPort: 9376
`;

const DEPLOYMENT = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  replicas: 2
  selector:
    matchLabels: { app: api }
  template:
    metadata:
      labels: { app: api }
    spec:
      containers:
      - name: api
        image: registry.k8s.io/serve_hostname
        ports:
        - containerPort: 9376
`;

const applied = (yaml: string) => `kubectl apply -f - <<EOF\n${yaml}EOF`;

describe("kubectl apply -f -", () => {
  it("creates a Deployment and its Service from one here-document; the pods are wired by the CNI chain and answer through the Service", () => {
    const e = labEngine("cni-bridge-plugin");
    const r = e.run({ host: "node1", command: applied(`${DEPLOYMENT}---\n${SERVICE}`) });
    expect(r).toMatchObject({ exitCode: 0, output: "deployment.apps/api created\nservice/api created\n" });
    expect(r.events.filter((x) => x.kind === "cni" && x.command === "ADD" && x.plugin === "host-local")).toHaveLength(2);
    const svc = e.run({ host: "node1", command: "kubectl get svc api" }).output;
    const ip = /api +ClusterIP +(10\.\d+\.\d+\.\d+) +<none> +80\/TCP/.exec(svc)?.[1];
    expect(ip, svc).toBeDefined();
    expect(e.run({ host: "node1", command: "kubectl get endpoints api" }).output).toMatch(/10\.244\.\d\.\d:9376,10\.244\.\d\.\d:9376/);
    expect(e.run({ host: "node1", namespace: "client", command: `curl -s http://${ip}/` }).output).toMatch(/^api-\w{10}-\w{5}\n$/);
  });

  it("applying the same object again is unchanged; a new port is configured and kube-proxy rewrites its rules", () => {
    const e = labEngine("cni-bridge-plugin");
    e.run({ host: "node1", command: applied(SERVICE) });
    expect(e.run({ host: "node1", command: applied(SERVICE) }).output).toBe("service/api unchanged\n");
    const web = SERVICE.replace("selector: { app: api }", "selector: { app: web }").replace("targetPort: 9376", "targetPort: 8080");
    expect(e.run({ host: "node1", command: applied(web) }).output).toBe("service/api configured\n");
    expect(e.run({ host: "node1", command: "iptables -t nat -S" }).output).toMatch(/"default\/api -> 10\.244\.1\.3:8080"/);
    const scaled = e.run({ host: "node1", command: applied(DEPLOYMENT) });
    expect(scaled.output).toBe("deployment.apps/api created\n");
    expect(e.run({ host: "node1", command: applied(DEPLOYMENT.replace("replicas: 2", "replicas: 1")) }).output).toBe("deployment.apps/api configured\n");
    expect(e.run({ host: "node1", command: "kubectl get pods" }).output.match(/^api-/gm)).toHaveLength(1);
  });

  it("refuses what the API server refuses, and changes nothing", () => {
    const e = labEngine("cni-bridge-plugin");
    const run = (yaml: string) => e.run({ host: "node1", command: applied(yaml) });
    expect(run(SERVICE.replace("selector:", "selctor:"))).toMatchObject({
      exitCode: 1,
      output: 'Error from server (BadRequest): error when creating "STDIN": Service in version "v1" cannot be handled as a Service: strict decoding error: unknown field "spec.selctor"\n',
    });
    expect(run(SERVICE.replace("port: 80", "port: 0")).output).toBe('The Service "api" is invalid: spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive\n');
    // kubectl v1.28's own words for these two.
    expect(run("kind: Service\nmetadata:\n  name: bad\n").output).toBe('error: error validating "STDIN": error validating data: apiVersion not set; if you choose to ignore these errors, turn validation off with --validate=false\n');
    expect(run("a: b\n c: d\n").output).toBe("error: error parsing STDIN: error converting YAML to JSON: yaml: line 1: mapping values are not allowed in this context\n");
    expect(run(DEPLOYMENT.replace("labels: { app: api }", "labels: { app: other }")).output).toBe(
      'The Deployment "api" is invalid: spec.template.metadata.labels: Invalid value: map[string]string{"app":"other"}: `selector` does not match template `labels`\n',
    );
    expect(run(SERVICE.replace("  - port: 80\n    targetPort: 9376\n", "  - port: 80\n  - port: 81\n")).output).toBe('The Service "api" is invalid: spec.ports[0].name: Required value\n');
    expect(run(SERVICE.replace("spec:\n", "spec:\n  clusterIP: 10.200.0.1\n")).output).toContain("is not in the valid range. The range of valid IPs is 10.96.0.0/12");
    expect(run(SERVICE.replace("kind: Service", "kind: ConfigMap")).output).toBe("kubectl apply of kind ConfigMap: not simulated in cnlab\n");
    expect(e.run({ host: "node1", command: "kubectl get svc" }).output).not.toContain("api");
    expect(e.run({ host: "node1", command: "kubectl apply -f web.yaml" }).output).toBe('error: the path "web.yaml" does not exist\n');
    expect(e.run({ host: "node1", command: "kubectl apply" }).output).toBe("error: must specify one of -f and -k\n");
  });

  it("a clusterIP already set may not change", () => {
    const e = labEngine("cni-bridge-plugin");
    const fixed = SERVICE.replace("spec:\n", "spec:\n  clusterIP: 10.96.0.81\n");
    expect(e.run({ host: "node1", command: applied(fixed) }).output).toBe("service/api created\n");
    expect(e.run({ host: "node1", command: applied(fixed.replace("10.96.0.81", "10.96.0.82")) }).output).toBe('The Service "api" is invalid: spec.clusterIPs[0]: Invalid value: []string{"10.96.0.82"}: may not change once set\n');
  });
});
