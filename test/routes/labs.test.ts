/**
 * GET /api/labs and GET /api/labs/:id serve the labs synced from labs/ at
 * start: the catalogue in teaching order, and each lab exactly as its file says
 * (to students, without the answers).
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import type { LabFile } from "../../server/labs/lab-schema.js";
import { bearer, buildTestApp, createToken, REPO_LABS_DIR, sharedTestApp, TEST_INSTRUCTOR_TOKEN } from "../helpers/build-app.js";
import { labsFolder, minimalLab } from "../helpers/lab-files.js";

// The tests on the repository's labs only read (one makes a student token of its own): one app serves them all.
const repoLabsApp = sharedTestApp();

describe("GET /api/labs", () => {
  it("lists the labs in teaching order (by chapter section, then id) with id, title, summary, difficulty and tags", async () => {
    const app = repoLabsApp();
    const response = await app.inject({ method: "GET", url: "/api/labs" });

    expect(response.statusCode).toBe(200);
    const { labs } = response.json<{ labs: Array<Record<string, unknown>> }>();
    expect(labs.map((lab) => lab["id"])).toEqual(["host-network", "bridge-two-containers", "host-to-container", "calico", "container-to-other-host", "flannel-udp", "flannel-vxlan", "host-gw", "host-gw-routed", "cni-bridge-plugin", "network-policy", "cluster-dns", "service-clusterip", "service-debugging", "service-hairpin", "service-nodeport"]);
    const bridge = labs[1];
    expect(Object.keys(bridge ?? {}).sort()).toEqual(["chapter", "difficulty", "id", "summary", "tags", "title"]);
    expect(bridge).toMatchObject({
      id: "bridge-two-containers",
      title: { en: expect.stringContaining("nginx-2"), zh: expect.stringContaining("nginx-2") },
      difficulty: "beginner",
      tags: ["bridge", "veth", "arp", "docker0"],
      chapter: "32.01",
    });
  });

  it("is an empty list when the labs folder is empty", async () => {
    const app = await buildTestApp({ labsDir: await labsFolder({}) });
    const response = await app.inject({ method: "GET", url: "/api/labs" });
    expect(response.json()).toEqual({ labs: [] });
  });
});

describe("GET /api/labs/:id", () => {
  it("returns the whole lab as its file defines it to an instructor: texts, topology, walkthrough, tasks and solution", async () => {
    const app = repoLabsApp();
    const response = await app.inject({ method: "GET", url: "/api/labs/bridge-two-containers", headers: bearer(TEST_INSTRUCTOR_TOKEN) });

    expect(response.statusCode).toBe(200);
    const file = parse(await readFile(path.join(REPO_LABS_DIR, "bridge-two-containers.yaml"), "utf8")) as unknown;
    // Equal to the file, field for field: the response schema drops nothing.
    expect(response.json()).toEqual(file);
  });

  it("gives students (and callers without a token) the lab without its solution and checks, saying which tasks take an answer", async () => {
    const app = repoLabsApp();
    const student = await createToken(app, "Li Wei");
    const file = parse(await readFile(path.join(REPO_LABS_DIR, "bridge-two-containers.yaml"), "utf8")) as LabFile;

    for (const headers of [{}, bearer(student.token)]) {
      const response = await app.inject({ method: "GET", url: "/api/labs/bridge-two-containers", headers });
      expect(response.statusCode).toBe(200);
      const lab = response.json<Record<string, unknown> & { tasks: Array<Record<string, unknown>> }>();
      expect(lab).not.toHaveProperty("solution");
      expect(lab.walkthrough).toEqual(file.walkthrough);
      expect(lab.tasks.map((task) => task["id"])).toEqual(file.tasks!.map((task) => task.id));
      for (const task of lab.tasks) expect(task).not.toHaveProperty("checks");
      expect(lab.tasks.find((task) => task["id"] === "which-port")).toMatchObject({ takesAnswer: true, points: 10, dependsOn: ["ping-nginx-2"] });
      expect(lab.tasks.find((task) => task["id"] === "learned-macs")).toMatchObject({ takesAnswer: false, hints: [expect.objectContaining({ en: expect.stringContaining("300 seconds") })] });
      expect(response.body).not.toContain("vethb4963f3\",\"feedback");
    }
  });

  it("refuses a token it does not know with 401, rather than guessing what to show", async () => {
    const app = repoLabsApp();
    const response = await app.inject({ method: "GET", url: "/api/labs/bridge-two-containers", headers: bearer("cnlab_no-such-token-000000") });
    expect(response.statusCode).toBe(401);
  });

  it("keeps graded tasks with their check fields", async () => {
    const text = `${minimalLab()}tasks:
  - id: reach-the-gateway
    title: { en: Reach the gateway, zh: 连通网关 }
    points: 5
    checks:
      - kind: reachable
        host: node1
        to: 10.0.0.1
        feedback: { en: The gateway does not answer., zh: 网关没有应答。 }
`;
    const app = await buildTestApp({ labsDir: await labsFolder({ "tiny-lab.yaml": text }) });
    const response = await app.inject({ method: "GET", url: "/api/labs/tiny-lab/", headers: bearer(TEST_INSTRUCTOR_TOKEN) });

    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual(parse(text));
  });

  it("keeps the ordered trace expectations of a walkthrough step", async () => {
    const app = repoLabsApp();
    const lab = (await app.inject({ method: "GET", url: "/api/labs/bridge-two-containers" })).json<{
      walkthrough: Array<{ command: string; expect?: { events?: Array<{ kind: string }> } }>;
    }>();
    const ping = lab.walkthrough.find((step) => step.command === "ping -c 1 172.17.0.3");
    expect(ping?.expect?.events?.map((event) => event.kind)).toEqual([
      "arp-request",
      "bridge-flood",
      "arp-reply",
      "bridge-learn",
      "bridge-forward",
      "netfilter",
      "ip-local",
    ]);
  });

  it("answers an unknown id with 404 in the error shape", async () => {
    const app = repoLabsApp();
    const response = await app.inject({ method: "GET", url: "/api/labs/no-such-lab" });

    expect(response.statusCode).toBe(404);
    expect(response.headers["content-type"]).toMatch(/^application\/json/);
    expect(response.json()).toEqual({ error: { code: "LAB_NOT_FOUND", message: 'No lab with id "no-such-lab"' } });
  });

  it("answers a malformed id with 400 VALIDATION_ERROR and the failed check in details", async () => {
    const app = repoLabsApp();
    const response = await app.inject({ method: "GET", url: "/api/labs/Not_An_Id" });

    expect(response.statusCode).toBe(400);
    const body = response.json<{ error: { code: string; message: string; details: Array<Record<string, string>> } }>();
    expect(body.error.code).toBe("VALIDATION_ERROR");
    expect(body.error.details).toEqual([{ in: "params", path: "/id", message: expect.stringContaining("pattern") }]);
  });
});
