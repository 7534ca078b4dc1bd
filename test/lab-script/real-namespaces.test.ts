/**
 * A lab script run for real, as root, in network namespaces: bridge-two-containers
 * comes up, nginx-1 pings nginx-2 through the real docker0 and fetches the
 * listener's answer, then `down` leaves no namespace with the prefix; in
 * cluster-dns the client pod's real resolver finds a Service by its short
 * name through the real kube-proxy rules and the responder standing in for
 * CoreDNS, and `down` removes the pods' files in /etc/netns too. On CI
 * (root, CI=true) it always runs; elsewhere without root it is skipped, and
 * says so. The conformance suite (npm run conformance) does this for every lab.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import type { TopologySpec } from "../../server/engine/index.js";
import { labScript } from "../../server/lab-script/lab-script.js";
import { REPO_LABS_DIR } from "../helpers/build-app.js";

const onCi = process.env["CI"] === "true" || process.env["CI"] === "1";
const root = process.getuid?.() === 0;
if (!root && !onCi) console.warn("not root: skipping the lab script run in real namespaces (CI=true makes this a failure)");

const PREFIX = `cnlabtest${process.pid}-`;
const dir = mkdtempSync(path.join(tmpdir(), "cnlab-lab-script-"));
const namespaces = () =>
  execFileSync("ip", ["netns", "list"], { encoding: "utf8" })
    .split("\n")
    .map((l) => l.split(" ")[0]!)
    .filter((n) => n.startsWith(PREFIX));

/** The pods' files in /etc/netns (resolv.conf, nsswitch.conf) the lab scripts wrote under our prefix. */
const netnsFiles = () => (existsSync("/etc/netns") ? readdirSync("/etc/netns").filter((n) => n.startsWith(PREFIX)) : []);

afterAll(() => {
  // Whatever happened, nothing of ours stays behind.
  if (root) for (const ns of namespaces()) spawnSync("ip", ["netns", "del", ns]);
  if (root) for (const dir of netnsFiles()) rmSync(path.join("/etc/netns", dir), { recursive: true, force: true });
  rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!root && !onCi)("a lab script run as root", () => {
  it("builds bridge-two-containers for real: nginx-1 pings and fetches from nginx-2, and `down` leaves nothing", () => {
    expect(root, "the lab script must run as root").toBe(true);
    const lab = parse(readFileSync(path.join(REPO_LABS_DIR, "bridge-two-containers.yaml"), "utf8")) as { id: string; title: { en: string }; topology: TopologySpec };
    const made = labScript({ labId: lab.id, title: lab.title.en, topology: lab.topology, prefix: PREFIX });
    if (made.kind !== "ok") throw new Error(made.message);
    const script = path.join(dir, "lab.sh");
    writeFileSync(script, made.script);

    const up = spawnSync("bash", [script, "up"], { encoding: "utf8", timeout: 60_000 });
    expect(up.stderr).toBe("");
    expect(up.status).toBe(0);
    expect(namespaces().sort()).toEqual([`${PREFIX}node1`, `${PREFIX}node1-nginx-1`, `${PREFIX}node1-nginx-2`, `${PREFIX}seg-underlay`]);

    const ping = spawnSync("ip", ["netns", "exec", `${PREFIX}node1-nginx-1`, "ping", "-c", "1", "-W", "2", "172.17.0.3"], { encoding: "utf8", timeout: 10_000 });
    expect(ping.stdout).toContain("1 received");
    const fdb = execFileSync("ip", ["netns", "exec", `${PREFIX}node1`, "bridge", "fdb", "show", "br", "docker0"], { encoding: "utf8" });
    expect(fdb).toContain("02:42:ac:11:00:03 dev vethb4963f3 master docker0");
    const curl = spawnSync("ip", ["netns", "exec", `${PREFIX}node1-nginx-1`, "curl", "-s", "--max-time", "5", "http://172.17.0.3/"], { encoding: "utf8", timeout: 10_000 });
    expect(curl.stdout).toBe("cnlab\n");

    const down = spawnSync("bash", [script, "down"], { encoding: "utf8", timeout: 60_000 });
    expect(down.status).toBe(0);
    expect(namespaces()).toEqual([]);
  }, 120_000);

  it("builds cluster-dns for real: the client pod's resolver asks the responder through kube-proxy's DNAT, and `down` removes the pods' resolv.conf", () => {
    expect(root, "the lab script must run as root").toBe(true);
    const lab = parse(readFileSync(path.join(REPO_LABS_DIR, "cluster-dns.yaml"), "utf8")) as { id: string; title: { en: string }; topology: TopologySpec };
    const made = labScript({ labId: lab.id, title: lab.title.en, topology: lab.topology, prefix: PREFIX });
    if (made.kind !== "ok") throw new Error(made.message);
    const script = path.join(dir, "cluster-dns.sh");
    writeFileSync(script, made.script);

    const up = spawnSync("bash", [script, "up"], { encoding: "utf8", timeout: 60_000 });
    expect(up.stderr).toBe("");
    expect(up.status).toBe(0);
    expect(readFileSync(`/etc/netns/${PREFIX}node2-client/resolv.conf`, "utf8")).toBe("search default.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.96.0.10\noptions ndots:5\n");

    // glibc's getaddrinfo walks the search path: hostnames.default.svc.cluster.local is the Service's address.
    const client = `${PREFIX}node2-client`;
    const hosts = spawnSync("ip", ["netns", "exec", client, "getent", "ahostsv4", "hostnames"], { encoding: "utf8", timeout: 10_000 });
    expect(hosts.stdout.split("\n")[0]).toMatch(/^10\.96\.0\.100\s+STREAM hostnames\.default\.svc\.cluster\.local$/);
    const nope = spawnSync("ip", ["netns", "exec", client, "getent", "ahostsv4", "nope"], { encoding: "utf8", timeout: 10_000 });
    expect(nope.status).toBe(2);
    // The queries were DNATed on node2 to CoreDNS's pod, as kube-proxy's rules say.
    const conntrack = execFileSync("ip", ["netns", "exec", `${PREFIX}node2`, "conntrack", "-L", "-p", "udp"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
    expect(conntrack).toMatch(/dst=10\.96\.0\.10 sport=\d+ dport=53 src=10\.244\.1\.2 dst=10\.244\.2\.3 sport=53/);
    const curl = spawnSync("ip", ["netns", "exec", client, "curl", "-s", "--max-time", "5", "http://hostnames/"], { encoding: "utf8", timeout: 10_000 });
    expect(curl.stdout).toBe("cnlab\n");

    const down = spawnSync("bash", [script, "down"], { encoding: "utf8", timeout: 60_000 });
    expect(down.status).toBe(0);
    expect(namespaces()).toEqual([]);
    expect(netnsFiles()).toEqual([]);
  }, 120_000);
});
