/**
 * A lab script run for real, as root, in network namespaces: bridge-two-containers
 * comes up, nginx-1 pings nginx-2 through the real docker0 and fetches the
 * listener's answer, then `down` leaves no namespace with the prefix. On CI
 * (root, CI=true) it always runs; elsewhere without root it is skipped, and
 * says so. The conformance suite (npm run conformance) does this for every lab.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
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

afterAll(() => {
  // Whatever happened, nothing of ours stays behind.
  if (root) for (const ns of namespaces()) spawnSync("ip", ["netns", "del", ns]);
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
});
