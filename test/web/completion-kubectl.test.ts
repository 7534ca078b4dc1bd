// Tab completion for kubectl (verbs, kinds, the session's object names in the namespace -n names) and for cat and ls (the paths the simulator shows, one directory at a time).
import { describe, expect, it } from "vitest";
import type { NetworkState } from "../../web/src/api/types.js";
import { complete, type CompletionNames } from "../../web/src/terminal/completion.js";
import { knownFiles } from "../../web/src/terminal/known-files.js";

const names: CompletionNames = {
  devices: ["cni0", "eth0", "lo", "veth1a2b3c4d"],
  bridges: ["cni0"],
  containers: [],
  namespaces: [],
  kube: {
    namespaces: ["default", "kube-system"],
    pods: [
      { namespace: "default", name: "client" },
      { namespace: "default", name: "web-6f7b9-qm8zd" },
      { namespace: "default", name: "web-6f7b9-xk2lp" },
      { namespace: "kube-system", name: "coredns-5d78c9869d-7xq2p" },
    ],
    services: [
      { namespace: "default", name: "web" },
      { namespace: "kube-system", name: "kube-dns" },
    ],
    deployments: [{ namespace: "default", name: "web" }],
    networkPolicies: [{ namespace: "default", name: "web-allow-frontend" }],
  },
  files: ["/etc/cni/net.d/", "/etc/cni/net.d/10-flannel.conflist", "/opt/cni/bin/", "/opt/cni/bin/bridge", "/opt/cni/bin/bandwidth", "/opt/cni/bin/flannel", "/run/flannel/", "/run/flannel/subnet.env", "/etc/resolv.conf"],
};
const at = (line: string) => complete(line, line.length, names);

describe("kubectl completion", () => {
  it("completes the command, its verbs, and the kinds a verb takes", () => {
    expect(at("kube").replacement).toBe("kubectl ");
    expect(at("kubectl ").candidates).toEqual(["apply", "delete", "describe", "exec", "get", "label", "patch", "scale", "version"]);
    expect(at("kubectl d").candidates).toEqual(["delete", "describe"]);
    expect(at("kubectl get endp").candidates).toEqual(["endpoints", "endpointslices"]);
    expect(at("kubectl scale ").candidates).toEqual(["deployments"]);
  });

  it("names the objects of the kind, in the default namespace or the one -n gives", () => {
    expect(at("kubectl get pods web").candidates).toEqual(["web-6f7b9-qm8zd", "web-6f7b9-xk2lp"]);
    expect(at("kubectl get pods web").replacement).toBe("web-6f7b9-");
    expect(at("kubectl get po web-6f7b9-x").replacement).toBe("web-6f7b9-xk2lp ");
    expect(at("kubectl describe svc ").candidates).toEqual(["web"]);
    expect(at("kubectl -n kube-system describe svc ").candidates).toEqual(["kube-dns"]);
    expect(at("kubectl get pods -n kube-system c").replacement).toBe("coredns-5d78c9869d-7xq2p ");
    expect(at("kubectl scale deployment w").replacement).toBe("web ");
    expect(at("kubectl patch netpol ").candidates).toEqual(["web-allow-frontend"]);
    expect(at("kubectl get pods -n k").replacement).toBe("kube-system ");
  });

  it("exec takes a pod, and nothing after --", () => {
    expect(at("kubectl exec web-6f7b9-q").replacement).toBe("web-6f7b9-qm8zd ");
    expect(at("kubectl exec web-6f7b9-qm8zd -- ").candidates).toEqual([]);
  });

  it("a lab without a cluster completes verbs and kinds, and no names", () => {
    const none = { ...names, kube: null };
    expect(complete("kubectl get pods ", 17, none).candidates).toEqual([]);
    expect(complete("kubectl get ", 12, none).candidates).toContain("pods");
  });
});

describe("path completion for cat and ls", () => {
  it("completes one directory at a time; a directory keeps its slash and gets no space", () => {
    expect(at("cat /e").replacement).toBe("/etc/");
    expect(at("cat /etc/").candidates).toEqual(["/etc/cni/", "/etc/resolv.conf"]);
    expect(at("cat /etc/c").replacement).toBe("/etc/cni/");
    expect(at("cat /etc/cni/net.d/").replacement).toBe("/etc/cni/net.d/10-flannel.conflist ");
    expect(at("ls /opt/cni/bin/b").candidates).toEqual(["/opt/cni/bin/bandwidth", "/opt/cni/bin/bridge"]);
    expect(at("cat /").candidates).toEqual(["/etc/", "/opt/", "/run/"]);
  });
});

describe("the paths a namespace shows", () => {
  const ns = (name: string, interfaces: { name: string; kind: string; master: string | null }[]) => ({ name, interfaces, forwarding: false, routes: [], neighbours: [], bridges: [], sockets: [], conntrack: [], iptables: [] });
  const iface = (name: string, kind: string, master: string | null) => ({ ifindex: 1, name, kind, mac: "", mtu: 1500, up: true, lowerUp: true, master, peer: null, addresses: [], stats: { rxPackets: 0, rxBytes: 0, txPackets: 0, txBytes: 0 } });
  const state = {
    time: 0,
    kubernetes: { namespaces: ["default"], pods: [{ namespace: "default", name: "client", node: "node1", netns: "client" }], services: [], deployments: [], networkPolicies: [], cniFiles: [{ node: "node1", paths: ["/run/flannel/", "/run/flannel/subnet.env"] }], dns: true },
    hosts: [{ name: "node1", containers: [], namespaces: [ns("root", [iface("cni0", "bridge", null), iface("veth1", "veth", "cni0")]), ns("client", [iface("eth0", "veth", null)])] }],
  } as unknown as NetworkState;

  it("a node's root namespace: the CNI chain's files and the bridge ports' hairpin_mode", () => {
    expect(knownFiles(state, "node1", null)).toEqual(["/run/flannel/", "/run/flannel/subnet.env", "/sys/class/net/cni0/brif/veth1/hairpin_mode", "/sys/devices/virtual/net/cni0/brif/veth1/hairpin_mode", "/sys/class/net/veth1/brport/hairpin_mode"]);
  });

  it("a pod of a cluster with DNS: its resolv.conf", () => {
    expect(knownFiles(state, "node1", "client")).toEqual(["/etc/resolv.conf"]);
    expect(knownFiles(state, "node9", null)).toEqual([]);
  });
});
