/**
 * Instructors create, replace and delete labs through the API. A lab sent as
 * YAML or JSON is checked exactly like a lab file (errors name line, column
 * and field), stored with source "api", survives the file sync at start, and
 * never takes the place of a lab file.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { bearer, buildTestApp, createToken, REPO_LABS_DIR, runCommand, startSession, TEST_INSTRUCTOR_TOKEN } from "../helpers/build-app.js";
import { ALIAS_BOMB, ALIAS_BOMB_PROBLEM, labsFolder, minimalLab } from "../helpers/lab-files.js";
import { freshDatabase } from "../helpers/test-database.js";

const instructor = bearer(TEST_INSTRUCTOR_TOKEN);
const yaml = { ...instructor, "content-type": "application/yaml" };

describe("POST /api/labs", () => {
  it("creates a lab from YAML: 201 with the lab, then in the catalogue like a file's", async () => {
    const app = await buildTestApp();
    const response = await app.inject({ method: "POST", url: "/api/labs", headers: yaml, payload: minimalLab("api-lab") });

    expect(response.statusCode).toBe(201);
    expect(response.json()).toEqual(parse(minimalLab("api-lab")));
    expect((await app.inject({ method: "GET", url: "/api/labs/api-lab" })).json()).toEqual(parse(minimalLab("api-lab")));
    const catalogue = (await app.inject({ method: "GET", url: "/api/labs" })).json<{ labs: Array<{ id: string }> }>();
    expect(catalogue.labs.map((lab) => lab.id)).toContain("api-lab");
    expect((await app.prisma.lab.findUniqueOrThrow({ where: { id: "api-lab" } })).source).toBe("api");
  });

  it("creates a lab from JSON, compact or not", async () => {
    const app = await buildTestApp();
    const lab = parse(minimalLab("json-lab")) as Record<string, unknown>;
    const compact = await app.inject({ method: "POST", url: "/api/labs", headers: { ...instructor, "content-type": "application/json" }, payload: JSON.stringify(lab) });
    expect(compact.statusCode).toBe(201);
    const pretty = await app.inject({
      method: "POST",
      url: "/api/labs",
      headers: { ...instructor, "content-type": "application/json" },
      payload: JSON.stringify({ ...lab, id: "json-lab-2" }, null, 2),
    });
    expect(pretty.statusCode).toBe(201);
  });

  it("rejects a lab the loader would reject with 400 INVALID_LAB naming line, column and field", async () => {
    const app = await buildTestApp();
    const bad = minimalLab("bad-lab").replace("difficulty: beginner", "difficulty: hard");
    const response = await app.inject({ method: "POST", url: "/api/labs", headers: yaml, payload: bad });

    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({
      error: {
        code: "INVALID_LAB",
        message: 'request body:12:1 difficulty: must be one of "beginner", "intermediate", "advanced"',
        details: { line: 12, column: 1, field: "difficulty", problem: 'must be one of "beginner", "intermediate", "advanced"' },
      },
    });

    const json = await app.inject({ method: "POST", url: "/api/labs", headers: instructor, payload: { ...(parse(bad) as object) } });
    expect(json.json().error).toMatchObject({ code: "INVALID_LAB", details: { field: "difficulty" } });

    const incoherent = minimalLab("loop-lab").replace("command: ip addr", "command: ip addr\n    namespace: nowhere");
    const cross = await app.inject({ method: "POST", url: "/api/labs", headers: yaml, payload: incoherent });
    expect(cross.json().error).toMatchObject({ code: "INVALID_LAB", details: { field: "walkthrough[0].namespace" } });

    const empty = await app.inject({ method: "POST", url: "/api/labs", headers: yaml, payload: "" });
    expect(empty.json().error.code).toBe("INVALID_LAB");
  });

  it("holds topologies to the lab format's size limits", async () => {
    const app = await buildTestApp();
    const lab = parse(minimalLab("big-lab")) as { topology: { hosts: Array<{ name: string }> } };
    const host = lab.topology.hosts[0]!;
    lab.topology.hosts = Array.from({ length: 65 }, (_, i) => ({ ...host, name: `node${i}` }));
    const response = await app.inject({ method: "POST", url: "/api/labs", headers: instructor, payload: lab });
    expect(response.statusCode).toBe(400);
    expect(response.json().error).toMatchObject({ code: "INVALID_LAB", details: { field: "topology.hosts" } });
    expect(response.json().error.message).toMatch(/64/);
  });

  it("refuses a body over 1 MiB with 413 PAYLOAD_TOO_LARGE, and an id that exists with 409", async () => {
    const app = await buildTestApp();
    const huge = `${minimalLab("huge-lab")}# ${"x".repeat(1024 * 1024)}\n`;
    const tooLarge = await app.inject({ method: "POST", url: "/api/labs", headers: yaml, payload: huge });
    expect(tooLarge.statusCode).toBe(413);
    expect(tooLarge.json()).toEqual({
      error: { code: "PAYLOAD_TOO_LARGE", message: "The request body is larger than the 1 MiB this route accepts", details: { limit: 1048576 } },
    });

    const fileLab = await readFile(path.join(REPO_LABS_DIR, "host-network.yaml"), "utf8");
    const taken = await app.inject({ method: "POST", url: "/api/labs", headers: yaml, payload: fileLab });
    expect(taken.statusCode).toBe(409);
    expect(taken.json().error).toEqual({ code: "LAB_EXISTS", message: 'The id "host-network" belongs to the lab file labs/host-network.yaml: choose another id' });

    await app.inject({ method: "POST", url: "/api/labs", headers: yaml, payload: minimalLab("api-lab") });
    const twice = await app.inject({ method: "POST", url: "/api/labs", headers: yaml, payload: minimalLab("api-lab") });
    expect(twice.json().error.code).toBe("LAB_EXISTS");
  });
});

describe("what a lab body may be", () => {
  const ACCEPTED = ["application/json", "application/yaml", "application/x-yaml", "text/yaml"];

  it.each(["text/plain", "text/html", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"])(
    "refuses a %s body, on POST and PUT, with 415 UNSUPPORTED_MEDIA_TYPE listing the types it takes",
    async (contentType) => {
      const app = await buildTestApp();
      await app.inject({ method: "POST", url: "/api/labs", headers: yaml, payload: minimalLab("api-lab") });
      for (const [method, url] of [
        ["POST", "/api/labs"],
        ["PUT", "/api/labs/api-lab"],
      ] as const) {
        const response = await app.inject({ method, url, headers: { ...instructor, "content-type": contentType }, payload: minimalLab("api-lab") });
        expect(response.statusCode).toBe(415);
        expect(response.json()).toEqual({
          error: {
            code: "UNSUPPORTED_MEDIA_TYPE",
            message: `The body came with Content-Type "${contentType}"; this route takes ${ACCEPTED.join(", ")}`,
            details: { accepted: ACCEPTED },
          },
        });
      }
    },
  );

  it("takes YAML under each YAML type, and JSON (which is YAML) as YAML too", async () => {
    const app = await buildTestApp();
    for (const [n, contentType] of ["application/yaml", "application/x-yaml", "text/yaml", "Text/YAML; charset=utf-8"].entries()) {
      const response = await app.inject({ method: "POST", url: "/api/labs", headers: { ...instructor, "content-type": contentType }, payload: minimalLab(`yaml-lab-${n}`) });
      expect(response.statusCode).toBe(201);
    }
    const json = JSON.stringify(parse(minimalLab("json-as-yaml")));
    expect((await app.inject({ method: "POST", url: "/api/labs", headers: yaml, payload: json })).statusCode).toBe(201);
  });

  it("reads a body sent as application/json as JSON: YAML there is 400 INVALID_LAB, not taken", async () => {
    const app = await buildTestApp();
    const asJson = { ...instructor, "content-type": "application/json" };
    const yamlAsJson = await app.inject({ method: "POST", url: "/api/labs", headers: asJson, payload: minimalLab("yaml-as-json") });
    expect(yamlAsJson.statusCode).toBe(400);
    expect(yamlAsJson.json().error).toMatchObject({
      code: "INVALID_LAB",
      message: "request body: not valid JSON (Unexpected token 'v'), though its Content-Type is application/json: send a lab in YAML as application/yaml",
    });
    expect((await app.inject({ method: "GET", url: "/api/labs/yaml-as-json" })).statusCode).toBe(404);

    // Where JSON.parse names a place, the error does too.
    const broken = await app.inject({ method: "POST", url: "/api/labs", headers: asJson, payload: '{\n  "version": 1,\n  "id": "x",,\n}' });
    expect(broken.json().error).toMatchObject({ code: "INVALID_LAB", details: { line: 3, column: 13, field: "(document)" } });
  });

  it("answers a YAML alias bomb with 400 INVALID_LAB at the alias that goes too far", async () => {
    const app = await buildTestApp();
    const response = await app.inject({ method: "POST", url: "/api/labs", headers: yaml, payload: `${minimalLab("bomb-lab")}${ALIAS_BOMB}` });

    expect(response.statusCode).toBe(400);
    expect(response.json().error).toEqual({
      code: "INVALID_LAB",
      message: `request body:27:14 lol4[0]: ${ALIAS_BOMB_PROBLEM}`,
      details: { line: 27, column: 14, field: "lol4[0]", problem: ALIAS_BOMB_PROBLEM },
    });
  });

  it("answers an alias without its anchor with 400 INVALID_LAB at the alias", async () => {
    const app = await buildTestApp();
    const response = await app.inject({ method: "POST", url: "/api/labs", headers: yaml, payload: minimalLab("alias-lab").replace("tags: [test]", "tags: [*nowhere]") });

    expect(response.statusCode).toBe(400);
    expect(response.json().error).toMatchObject({
      code: "INVALID_LAB",
      message: "request body:9:8 tags[0]: the alias *nowhere names no anchor: &nowhere must come before it",
    });
  });
});

describe("PUT and DELETE /api/labs/:id", () => {
  it("replaces an API lab; sessions already started keep the topology they started with", async () => {
    const app = await buildTestApp();
    await app.inject({ method: "POST", url: "/api/labs", headers: yaml, payload: minimalLab("api-lab") });
    const alice = await createToken(app, "Alice");
    const session = await startSession(app, alice.token, "api-lab");
    const before = await runCommand(app, alice.token, session, "node1", "ip addr");

    const changed = minimalLab("api-lab").replace("10.0.0.2/24", "10.0.0.9/24").replace("en: A tiny lab", "en: A changed lab");
    const replaced = await app.inject({ method: "PUT", url: "/api/labs/api-lab", headers: yaml, payload: changed });
    expect(replaced.statusCode).toBe(200);
    expect(replaced.json()).toMatchObject({ title: { en: "A changed lab" } });

    // The live engine and a rebuild from the log both use the session's own copy.
    expect((await runCommand(app, alice.token, session, "node1", "ip addr")).output).toBe(before.output);
    const fresh = await startSession(app, alice.token, "api-lab");
    expect((await runCommand(app, alice.token, fresh, "node1", "ip addr")).output).toContain("10.0.0.9/24");
    expect((await app.sessions.replayInputs(session)).topology.hosts[0]?.nics?.[0]?.addresses).toEqual(["10.0.0.2/24"]);

    const deleted = await app.inject({ method: "DELETE", url: "/api/labs/api-lab", headers: instructor });
    expect(deleted.statusCode).toBe(204);
    expect((await app.inject({ method: "GET", url: "/api/labs/api-lab" })).statusCode).toBe(404);
    expect((await runCommand(app, alice.token, session, "node1", "ip route")).exitCode).toBe(0);
  });

  it("keeps the id: a body naming another lab is 400 INVALID_LAB; an unknown lab is 404", async () => {
    const app = await buildTestApp();
    await app.inject({ method: "POST", url: "/api/labs", headers: yaml, payload: minimalLab("api-lab") });
    const renamed = await app.inject({ method: "PUT", url: "/api/labs/api-lab", headers: yaml, payload: minimalLab("other-lab") });
    expect(renamed.statusCode).toBe(400);
    expect(renamed.json().error).toMatchObject({ code: "INVALID_LAB", message: 'request body:2:1 id: must match the URL: expected "api-lab", found "other-lab"' });

    const unknown = await app.inject({ method: "PUT", url: "/api/labs/no-lab", headers: yaml, payload: minimalLab("no-lab") });
    expect(unknown.statusCode).toBe(404);
    expect((await app.inject({ method: "DELETE", url: "/api/labs/no-lab", headers: instructor })).statusCode).toBe(404);
    expect((await app.inject({ method: "PUT", url: "/api/labs/Bad_Id", headers: yaml, payload: minimalLab() })).json().error.code).toBe("VALIDATION_ERROR");
  });

  it("leaves labs from files alone: 409 LAB_FROM_FILE", async () => {
    const app = await buildTestApp();
    const text = await readFile(path.join(REPO_LABS_DIR, "host-network.yaml"), "utf8");
    const put = await app.inject({ method: "PUT", url: "/api/labs/host-network", headers: yaml, payload: text });
    expect(put.statusCode).toBe(409);
    expect(put.json().error).toEqual({ code: "LAB_FROM_FILE", message: 'Lab "host-network" comes from the file labs/host-network.yaml: change or remove that file instead' });
    expect((await app.inject({ method: "DELETE", url: "/api/labs/host-network", headers: instructor })).json().error.code).toBe("LAB_FROM_FILE");
  });
});

describe("the lab sync at start", () => {
  it("keeps API labs when it removes labs whose file is gone", async () => {
    const { url } = await freshDatabase();
    const first = await buildTestApp({ databaseUrl: url, labsDir: await labsFolder({ "file-lab.yaml": minimalLab("file-lab"), "gone-lab.yaml": minimalLab("gone-lab") }) });
    await first.inject({ method: "POST", url: "/api/labs", headers: yaml, payload: minimalLab("api-lab") });
    await first.close();

    const second = await buildTestApp({ databaseUrl: url, labsDir: await labsFolder({ "file-lab.yaml": minimalLab("file-lab") }) });
    const ids = (await second.inject({ method: "GET", url: "/api/labs" })).json<{ labs: Array<{ id: string }> }>().labs.map((lab) => lab.id);
    expect(ids.sort()).toEqual(["api-lab", "file-lab"]);
  });
});
