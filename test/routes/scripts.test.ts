/**
 * GET /api/labs/:id/script and GET /api/sessions/:id/script: a bash script
 * (bash -n checks it parses), public for a lab, the owner's or an
 * instructor's for a session, with the session's commands in order.
 */
import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { bearer, TEST_INSTRUCTOR_TOKEN } from "../helpers/build-app.js";
import { startLabSession } from "../helpers/lab-session.js";
import { buildTestApp } from "../helpers/build-app.js";

const bashParses = (script: string) => execFileSync("bash", ["-n"], { input: script, encoding: "utf8" });

describe("GET /api/labs/:id/script", () => {
  it("answers the lab as a bash script, with no token needed", async () => {
    const app = await buildTestApp();
    const res = await app.inject({ method: "GET", url: "/api/labs/bridge-two-containers/script" });
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toMatch(/^text\/x-shellscript/);
    expect(res.headers["content-disposition"]).toBe('attachment; filename="cnlab-bridge-two-containers.sh"');
    expect(res.body).toContain("set -euo pipefail");
    expect(res.body).toContain('P="${CNLAB_PREFIX:-cnlab-btc-}"');
    expect(res.body).toContain('ip -n "${P}node1" link add veth9c02e56 address 52:81:0b:24:3d:da type veth peer name eth0 address 02:42:ac:11:00:02 netns "${P}node1-nginx-1"');
    expect(() => bashParses(res.body)).not.toThrow();
  });

  it("takes another prefix", async () => {
    const app = await buildTestApp();
    const res = await app.inject({ method: "GET", url: "/api/labs/host-gw/script?prefix=lab7-" });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('P="${CNLAB_PREFIX:-lab7-}"');
  });

  it("refuses a prefix bash or ip would read as something else, and an unknown lab, in the error shape", async () => {
    const app = await buildTestApp();
    const bad = await app.inject({ method: "GET", url: `/api/labs/host-gw/script?prefix=${encodeURIComponent("$(reboot)")}` });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe("VALIDATION_ERROR");
    const missing = await app.inject({ method: "GET", url: "/api/labs/no-such-lab/script" });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.code).toBe("LAB_NOT_FOUND");
  });
});

describe("GET /api/sessions/:id/script", () => {
  it("is the lab, then the session's commands in order, each in its namespace", async () => {
    const lab = await startLabSession("bridge-two-containers");
    await lab.run("node1", "nginx-1", "ping -c 1 172.17.0.3");
    await lab.run("node1", undefined, "bridge fdb show br docker0");
    await lab.run("node1", undefined, "docker run -d --name nginx-3 nginx");
    const res = await lab.get(`/api/sessions/${lab.id}/script`);
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toMatch(/^text\/x-shellscript/);
    const body = res.body;
    const ping = body.indexOf('run_command "${P}node1-nginx-1" ping -c 1 172.17.0.3');
    const fdb = body.indexOf('run_command "${P}node1" bridge fdb show br docker0');
    expect(ping).toBeGreaterThan(0);
    expect(fdb).toBeGreaterThan(ping);
    expect(body).toContain("# [3] node1$ docker run -d --name nginx-3 nginx\n  #   not run here: needs the Docker daemon");
    expect(() => bashParses(body)).not.toThrow();
  });

  it("is the owner's and instructors' only", async () => {
    const lab = await startLabSession("host-to-container");
    const other = await lab.otherStudentToken();
    expect((await lab.get(`/api/sessions/${lab.id}/script`, other)).statusCode).toBe(403);
    expect((await lab.get(`/api/sessions/${lab.id}/script`, null)).statusCode).toBe(401);
    expect((await lab.get(`/api/sessions/${lab.id}/script`, TEST_INSTRUCTOR_TOKEN)).statusCode).toBe(200);
    const missing = await lab.app.inject({ method: "GET", url: "/api/sessions/nope/script", headers: bearer(lab.token) });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.code).toBe("SESSION_NOT_FOUND");
  });
});
