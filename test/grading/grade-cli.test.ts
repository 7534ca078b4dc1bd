/**
 * The grading command (npm run grade) as an instructor's script runs it: its
 * own process, against a real server listening on a port this test opened.
 * It grades, prints a table or writes an export, reports progress on
 * standard error, and exits non-zero with a clear line for a bad token, an
 * unknown lab, a server it cannot reach or bad arguments.
 */
import { spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import { createServer } from "node:net";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "../../server/db/prepare-database.js";
import { buildTestApp, createToken, startSession, TEST_INSTRUCTOR_TOKEN } from "../helpers/build-app.js";
import { childEnv } from "../helpers/child-env.js";
import { playSolution } from "../helpers/grading.js";
import { tempDir } from "../helpers/temp-dir.js";

interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
}

function grade(args: string[], env: Record<string, string> = {}): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", "scripts/grade.ts", ...args], {
      cwd: PROJECT_ROOT,
      env: childEnv(env),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", reject);
    child.on("exit", (code) => resolve({ code, stdout, stderr }));
  });
}

/** A port nothing listens on: opened, then closed again. */
/**
 * A port nothing listens on. Not one a server just closed: the other test files' servers
 * take ephemeral ports (listen on port 0) and may be given that one meanwhile; port 1023 is
 * below the ephemeral range and no test listens there.
 */
const CLOSED_PORT = 1023;

describe("npm run grade", () => {
  it("grades a lab's sessions against a running server: a table on stdout, JUnit to a file, progress on stderr; bad tokens, unknown labs, unreachable servers and bad arguments exit non-zero", async () => {
    const app = await buildTestApp();
    const server = await app.listen({ port: 0, host: "127.0.0.1" });
    const li = await createToken(app, "Li Wei");
    const zhang = await createToken(app, "张三");
    const solved = await startSession(app, li.token, "host-gw");
    await startSession(app, zhang.token, "host-gw");
    await playSolution(app, li.token, solved, "host-gw");
    const out = path.join(await tempDir("cnlab-grade-"), "grades.xml");
    const common = ["--server", server, "--lab", "host-gw"];

    // Independent runs, side by side: each starts its own process.
    const [tableRun, junitRun, badToken, student, unknownLab, unreachable, usage] = await Promise.all([
      grade(common, { CNLAB_TOKEN: TEST_INSTRUCTOR_TOKEN }),
      grade([...common, "--token", TEST_INSTRUCTOR_TOKEN, "--format", "junit", "--out", out, "--session", solved]),
      grade([...common, "--token", "cnlab_wrong-token-0000000000"]),
      grade([...common, "--token", li.token]),
      grade(["--server", server, "--lab", "no-such-lab", "--token", TEST_INSTRUCTOR_TOKEN]),
      grade(["--server", `http://127.0.0.1:${CLOSED_PORT}`, "--lab", "host-gw", "--token", TEST_INSTRUCTOR_TOKEN]),
      grade(["--server", server, "--token", TEST_INSTRUCTOR_TOKEN, "--format", "pdf"]),
    ]);

    expect(tableRun.code, tableRun.stderr).toBe(0);
    const lines = tableRun.stdout.split("\n");
    expect(lines[0]).toMatch(/^lab host-gw, run [0-9a-f-]{36}: 2 sessions, 60 points at most, average 30\.0$/);
    expect(lines[2]).toMatch(/^STUDENT\s+SESSION\s+SCORE\s+read-route\s+cross-node-ping\s+no-tunnel\s+add-node3\s+pod-gateway$/);
    expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^Li Wei\\s+${solved.slice(0, 8)}\\s+60/60\\s+10/10\\s+15/15\\s+5/5\\s+20/20\\s+10/10$`)));
    expect(lines).toContainEqual(expect.stringMatching(/^张三\s+[0-9a-f]{8}\s+0\/60\s+0\/10\s+0\/15\s+skip\/5\s+0\/20\s+0\/10$/));
    // Not a terminal: progress as plain lines.
    expect(tableRun.stderr).toMatch(/graded 2\/2 sessions\n$/);

    expect(junitRun.code, junitRun.stderr).toBe(0);
    expect(junitRun.stdout).toBe("");
    const xml = await readFile(out, "utf8");
    expect(xml).toContain('<testsuites name="cnlab grading host-gw" tests="10" failures="0" errors="0" skipped="0"');
    expect(xml).toContain(`<testsuite name="Li Wei (${solved})"`);

    expect(badToken).toMatchObject({ code: 4, stdout: "" });
    expect(badToken.stderr).toBe("grade: the server refused the token: The bearer token is unknown or has been revoked\n");
    expect(student.code).toBe(4);
    expect(student.stderr).toBe("grade: the token is not an instructor's: Only an instructor may do this\n");
    expect(unknownLab.code).toBe(2);
    expect(unknownLab.stderr).toBe(`grade: no lab "no-such-lab" on ${server}\n`);
    expect(unreachable.code).toBe(3);
    expect(unreachable.stderr).toMatch(/^grade: cannot reach the cnlab server at http:\/\/127\.0\.0\.1:\d+: ECONNREFUSED\n$/);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/^grade: missing --lab\nusage: npm run grade -- --server URL/);
  });
});
