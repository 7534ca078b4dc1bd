/**
 * No Docker engine runs where the tests run, so the container setup is
 * checked by reading it: docker-compose.yml and the Dockerfile must agree with
 * package.json and with the configuration the server validates at start, and
 * the scale-out profile's nginx configuration with the instances it fronts.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { CONFIG_DEFAULTS, loadConfig } from "../server/config.js";
import { PROJECT_ROOT } from "../server/db/prepare-database.js";
import { DEFAULT_HEARTBEAT_MS } from "../server/routes/sessions/trace.js";

interface ComposeService {
  profiles?: string[];
  image?: string;
  build?: string | { context?: string; dockerfile?: string };
  command?: string | string[];
  ports?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  healthcheck?: { test?: string[] };
  depends_on?: Record<string, { condition?: string }>;
}

const read = (file: string) => readFileSync(path.join(PROJECT_ROOT, file), "utf8");
// Compose reads YAML merge keys (`<<: *anchor`): the scale-out instances share one definition.
const compose = parse(read("docker-compose.yml"), { merge: true }) as { services: Record<string, ComposeService>; volumes?: Record<string, unknown> };
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

/** Compose's `${NAME:-default}` as it reads with NAME unset. */
function interpolate(value: string): string {
  return value.replace(/\$\{[A-Z_]+:-([^}]*)\}/g, "$1");
}

/** The nginx configuration without comments, and the body of a block (`upstream cnlab`, `location = /metrics`). */
const nginxPath = "deploy/nginx/cnlab.conf";
const nginx = existsSync(path.join(PROJECT_ROOT, nginxPath)) ? read(nginxPath).replace(/#.*$/gm, "") : "";
function nginxBlock(opening: string): string {
  const start = nginx.indexOf(`${opening} {`);
  if (start < 0) return "";
  const end = nginx.indexOf("}", start);
  return nginx.slice(start + opening.length + 2, end);
}
function directives(block: string, name: string): string[] {
  return [...block.matchAll(new RegExp(`^\\s*${name}\\s+([^;]+);`, "gm"))].map((match) => match[1]!.trim());
}

describe("docker-compose.yml, profile scale", () => {
  const services = compose.services;
  const inScale = Object.entries(services).filter(([, s]) => s.profiles?.includes("scale"));
  const instances = inScale.filter(([name]) => /^cnlab-\d+$/.test(name));

  it("leaves the default profile one cnlab instance on SQLite, without Redis", () => {
    const unprofiled = Object.entries(services).filter(([, s]) => s.profiles === undefined).map(([name]) => name);
    expect(unprofiled).toEqual(["cnlab"]);
    expect(service?.environment?.["DATABASE_URL"]).toMatch(/^file:/);
    expect(service?.environment?.["REDIS_URL"]).toBeUndefined();
  });

  it("runs PostgreSQL 15 and Redis 7, each with a health check of its own tool", () => {
    expect(inScale.map(([name]) => name)).toEqual(expect.arrayContaining(["postgres", "redis", "proxy"]));
    expect(services["postgres"]?.image).toBe("postgres:15");
    expect(services["postgres"]?.healthcheck?.test?.slice(0, 2)).toEqual(["CMD", "pg_isready"]);
    expect(services["redis"]?.image).toBe("redis:7");
    expect(services["redis"]?.healthcheck?.test).toEqual(["CMD", "redis-cli", "ping"]);
  });

  it("runs several cnlab instances on that PostgreSQL and Redis, each with its own name and address", () => {
    expect(instances.length).toBeGreaterThanOrEqual(2);
    const postgres = services["postgres"]?.environment ?? {};
    for (const [name, instance] of instances) {
      const environment = Object.fromEntries(Object.entries(instance.environment ?? {}).map(([k, v]) => [k, interpolate(v)]));
      const database = new URL(environment["DATABASE_URL"] ?? "");
      expect(database.protocol).toBe("postgresql:");
      expect(database.hostname).toBe("postgres");
      expect(decodeURIComponent(database.username)).toBe(postgres["POSTGRES_USER"]);
      expect(decodeURIComponent(database.password)).toBe(interpolate(postgres["POSTGRES_PASSWORD"] ?? ""));
      expect(database.pathname).toBe(`/${postgres["POSTGRES_DB"]}`);
      expect(new URL(environment["REDIS_URL"] ?? "").hostname).toBe("redis");
      expect(environment["CNLAB_INSTANCE_ID"]).toBe(name);
      // Where the others forward a session's requests: the service's own name on the compose network.
      expect(environment["CNLAB_ADVERTISE_URL"]).toBe(`http://${name}:${environment["PORT"]}`);
      for (const variable of Object.keys(environment)) expect(Object.keys(CONFIG_DEFAULTS)).toContain(variable);
      const { CNLAB_LABS_DIR, ...rest } = environment;
      expect(CNLAB_LABS_DIR).toBe("/app/labs");
      const result = loadConfig(rest, PROJECT_ROOT);
      expect(result.ok ? "valid" : result.message).toBe("valid");
      expect(instance.build).toBe(".");
      expect(instance.depends_on).toEqual({ postgres: { condition: "service_healthy" }, redis: { condition: "service_healthy" } });
      expect((instance.healthcheck?.test ?? []).join(" ")).toContain(`http://127.0.0.1:${environment["PORT"]}/health`);
    }
  });

  it("puts nginx in front with the committed configuration, once every instance is healthy", () => {
    const proxy = services["proxy"];
    expect(proxy?.image).toMatch(/^nginx:/);
    expect(proxy?.volumes).toContain(`./${nginxPath}:/etc/nginx/conf.d/default.conf:ro`);
    expect(nginx).not.toBe("");
    expect(Object.keys(proxy?.depends_on ?? {}).sort()).toEqual(instances.map(([name]) => name).sort());
    for (const dependency of Object.values(proxy?.depends_on ?? {})) expect(dependency.condition).toBe("service_healthy");
    expect((proxy?.healthcheck?.test ?? []).join(" ")).toContain("/health");
  });

  it("balances over exactly the instances the compose file runs", () => {
    const upstream = directives(nginxBlock("upstream cnlab"), "server").map((server) => server.split(/\s+/)[0]);
    const expected = instances.map(([, instance]) => new URL(interpolate(instance.environment?.["CNLAB_ADVERTISE_URL"] ?? "")).host);
    expect(upstream.sort()).toEqual(expected.sort());
    expect(directives(nginx, "proxy_pass")).toContain("http://cnlab");
  });

  it("upgrades WebSockets and keeps a trace stream open far longer than the server's ping period", () => {
    expect(directives(nginx, "proxy_http_version")).toEqual(["1.1"]);
    expect(directives(nginx, "proxy_set_header")).toEqual(expect.arrayContaining(["Upgrade $http_upgrade", "Connection $connection_upgrade", "X-Forwarded-For $remote_addr"]));
    expect(nginxBlock("map $http_upgrade $connection_upgrade")).toMatch(/default\s+upgrade;/);

    const opening = /location ~ (\S+) \{/.exec(nginx);
    expect(opening).not.toBeNull();
    const pattern = new RegExp(opening![1]!);
    expect(pattern.test("/api/sessions/0b7c2f4e-1d2a-4c5b-9e8f-0a1b2c3d4e5f/trace")).toBe(true);
    expect(pattern.test("/api/sessions/0b7c2f4e/commands")).toBe(false);
    const trace = nginxBlock(`location ~ ${opening![1]}`);
    const seconds = (value: string | undefined) => Number(/^(\d+)s$/.exec(value ?? "")?.[1]);
    expect(seconds(directives(trace, "proxy_read_timeout")[0])).toBeGreaterThanOrEqual((10 * DEFAULT_HEARTBEAT_MS) / 1000);
    expect(directives(trace, "proxy_pass")).toEqual(["http://cnlab"]);
  });

  it("trusts the forwarded client address from the compose network only", () => {
    for (const [, instance] of instances) expect(instance.environment?.["CNLAB_TRUST_PROXY"]).toBe("uniquelocal");
    expect(service?.environment?.["CNLAB_TRUST_PROXY"]).toBeUndefined();
  });

  it("does not pass /metrics through the balancer, where each scrape would reach another instance", () => {
    expect(directives(nginxBlock("location = /metrics"), "return")).toEqual(["404"]);
  });
});
