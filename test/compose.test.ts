/**
 * No Docker engine runs where the tests run, so the container setup is
 * checked by reading it: docker-compose.yml and the Dockerfile must agree with
 * package.json and with the configuration the server validates at start.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { CONFIG_DEFAULTS, loadConfig } from "../server/config.js";
import { PROJECT_ROOT } from "../server/db/prepare-database.js";

interface ComposeService {
  build?: string | { context?: string; dockerfile?: string };
  command?: string | string[];
  ports?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  healthcheck?: { test?: string[] };
}

const read = (file: string) => readFileSync(path.join(PROJECT_ROOT, file), "utf8");
const compose = parse(read("docker-compose.yml")) as { services: Record<string, ComposeService>; volumes?: Record<string, unknown> };
const packageJson = JSON.parse(read("package.json")) as { scripts: Record<string, string>; engines: { node: string } };
const service = compose.services["cnlab"];

/** Dockerfile instructions as [INSTRUCTION, arguments], continuation lines joined. */
function dockerfileInstructions(text: string): Array<[string, string]> {
  return text
    .replace(/\\\n/g, " ")
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"))
    .map((line) => {
      const [instruction = "", ...rest] = line.split(/\s+/);
      return [instruction.toUpperCase(), rest.join(" ")];
    });
}
const dockerfile = dockerfileInstructions(read("Dockerfile"));
const instruction = (name: string) => dockerfile.filter(([n]) => n === name).map(([, args]) => args);
const dockerEnv = Object.fromEntries(
  instruction("ENV").flatMap((args) => [...args.matchAll(/([A-Z_]+)=(\S+)/g)].map((match) => [match[1], match[2]])),
) as Record<string, string>;

describe("docker-compose.yml", () => {
  it("builds the cnlab service from the repository's Dockerfile", () => {
    expect(service).toBeDefined();
    const context = typeof service?.build === "string" ? service.build : service?.build?.context;
    expect(context).toBe(".");
    expect(existsSync(path.join(PROJECT_ROOT, "Dockerfile"))).toBe(true);
  });

  it("publishes the port the server listens on: the config default, the Dockerfile's EXPOSE and PORT", () => {
    const port = service?.environment?.["PORT"];
    expect(port).toBe(CONFIG_DEFAULTS.PORT);
    expect(service?.ports).toEqual([`${port}:${port}`]);
    expect(instruction("EXPOSE")).toEqual([port]);
    expect(dockerEnv["PORT"]).toBe(port);
  });

  it("sets only variables the server knows, with values its validation accepts", () => {
    const environment = service?.environment ?? {};
    for (const name of Object.keys(environment)) expect(Object.keys(CONFIG_DEFAULTS)).toContain(name);
    // The labs folder exists inside the image, not here: check it separately.
    const { CNLAB_LABS_DIR, ...rest } = environment;
    const result = loadConfig(rest, PROJECT_ROOT);
    expect(result.ok ? "valid" : result.message).toBe("valid");
    expect(environment["HOST"]).toBe("0.0.0.0");
    expect(CNLAB_LABS_DIR).toBe("/app/labs");
    expect(instruction("COPY")).toContain("labs ./labs");
    // Both stages work in /app: the runtime stage's relative paths (build/, labs/) are the build stage's.
    expect(new Set(instruction("WORKDIR"))).toEqual(new Set(["/app"]));
  });

  it("keeps the SQLite file on a named volume", () => {
    const databaseUrl = service?.environment?.["DATABASE_URL"] ?? "";
    expect(databaseUrl).toBe(dockerEnv["DATABASE_URL"]);
    const databaseFolder = path.posix.dirname(databaseUrl.replace(/^file:/, ""));
    const mount = (service?.volumes ?? []).map((volume) => volume.split(":")).find(([, target]) => target === databaseFolder);
    expect(mount).toBeDefined();
    const [source = ""] = mount ?? [];
    expect(source).not.toMatch(/^[./~]/);
    expect(Object.keys(compose.volumes ?? {})).toContain(source);
  });

  it("checks health on /health at the service's port", () => {
    const test = (service?.healthcheck?.test ?? []).join(" ");
    expect(test).toContain(`http://127.0.0.1:${service?.environment?.["PORT"]}/health`);
  });

  it("runs the same entry point as `npm start`, as a direct child so SIGTERM reaches the server", () => {
    const start = packageJson.scripts["start"]?.split(" ") ?? [];
    expect(start[0]).toBe("node");
    // Plain JavaScript, compiled ahead of time: no TypeScript loader at start.
    expect(start.at(-1)).toBe("build/main.js");
    expect(start).not.toContain("tsx");
    const command = service?.command ?? JSON.parse(instruction("CMD")[0] ?? "[]");
    expect(command).toEqual(start);
  });
});

describe("Dockerfile", () => {
  it("uses a Node image that meets package.json's engines and installs with npm ci", () => {
    const [image = ""] = instruction("FROM");
    const major = Number(/^node:(\d+)/.exec(image)?.[1]);
    const required = Number(/>=\s*(\d+)/.exec(packageJson.engines.node)?.[1]);
    expect(major).toBeGreaterThanOrEqual(required);
    expect(instruction("RUN").some((run) => /\bnpm ci\b/.test(run))).toBe(true);
  });

  it("leaves local state out of the build context", () => {
    const ignored = read(".dockerignore").split("\n").map((line) => line.trim());
    expect(ignored).toEqual(expect.arrayContaining(["node_modules", "data", "server/generated", "build"]));
  });

  it("compiles in a first stage and runs the compiled server from a second one without the compilers", () => {
    const stages = instruction("FROM");
    expect(stages).toHaveLength(2);
    expect(stages[0]).toMatch(/ AS build$/i);
    // npm ci's postinstall compiles the server (build:server) and the page; the runtime stage takes only the output.
    expect(packageJson.scripts["postinstall"]).toContain("npm run build:server");
    expect(instruction("RUN").some((run) => /npm ci\b.*npm prune --omit=dev/.test(run))).toBe(true);
    const copied = instruction("COPY");
    expect(copied).toEqual(expect.arrayContaining(["--from=build /app/node_modules ./node_modules", "--from=build /app/build ./build"]));
    // The runtime stage installs no compilers: the only apt-get is before the second FROM.
    const secondFrom = dockerfile.findIndex(([name], i) => name === "FROM" && i > 0);
    expect(dockerfile.slice(secondFrom).some(([name, args]) => name === "RUN" && args.includes("apt-get"))).toBe(false);
  });
});
