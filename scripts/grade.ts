/**
 * The grading command: a small client of the grading API for instructors and
 * their scripts.
 *
 *   npm run grade -- --server URL --token T --lab LAB [--session ID]...
 *                    [--format table|csv|junit|json] [--out FILE] [--timeout SECONDS]
 *
 * It starts a grading run of the lab's sessions (all, or those given), shows
 * a progress bar on standard error while the server grades them (plain lines
 * when standard error is not a terminal), and writes the results to standard
 * output or FILE: a table by default, or the server's CSV, JUnit XML or JSON.
 * The token may come from CNLAB_TOKEN and the server from CNLAB_SERVER
 * instead, so it need not appear in a crontab or the process list.
 *
 * Exit codes (docs/grading.md): 0 every session graded; 1 the run finished
 * but some sessions could not be graded, or it was interrupted; 2 bad
 * arguments, or no such lab or session; 3 the server cannot be reached or
 * answered something unexpected; 4 the token was refused or is not an
 * instructor's.
 */
import { writeFile } from "node:fs/promises";
import { parseArgs } from "node:util";

const FORMATS = ["table", "csv", "junit", "json"] as const;
type Format = (typeof FORMATS)[number];

const EXIT = { ok: 0, someNotGraded: 1, usage: 2, unreachable: 3, auth: 4 } as const;

const USAGE = `usage: npm run grade -- --server URL --token TOKEN --lab LAB [--session ID]... [--format table|csv|junit|json] [--out FILE] [--timeout SECONDS]

  --server URL       the cnlab server, e.g. http://127.0.0.1:3000 (or CNLAB_SERVER)
  --token TOKEN      an instructor's token (or CNLAB_TOKEN)
  --lab LAB          the lab whose sessions to grade
  --session ID       grade only this session (repeat for more); default: all of the lab's
  --format FORMAT    table (default), csv, junit or json
  --out FILE         write the results to FILE instead of standard output
  --timeout SECONDS  give up waiting for the run after this long (default 600)`;

class CliError extends Error {
  constructor(
    readonly exitCode: number,
    message: string,
  ) {
    super(message);
  }
}

interface Options {
  server: string;
  token: string;
  lab: string;
  sessions: string[];
  format: Format;
  out: string | null;
  timeoutMs: number;
}

interface CheckResult {
  status: "passed" | "failed" | "skipped";
}
interface TaskResult {
  taskId: string;
  points: number;
  earned: number;
  status: "passed" | "failed" | "skipped";
  checks: CheckResult[];
}
interface SessionResult {
  sessionId: string;
  owner: { id: string; name: string };
  score: number;
  maxScore: number;
  error: string | null;
  tasks: TaskResult[];
}
interface Run {
  id: string;
  labId: string;
  status: "running" | "done" | "interrupted";
  progress: { total: number; graded: number };
  maxScore: number;
  tasks?: { id: string; points: number }[];
  sessions?: SessionResult[];
}

function parseOptions(argv: string[], env: NodeJS.ProcessEnv): Options {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        server: { type: "string" },
        token: { type: "string" },
        lab: { type: "string" },
        session: { type: "string", multiple: true },
        format: { type: "string" },
        out: { type: "string" },
        timeout: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    throw new CliError(EXIT.usage, `${(err as Error).message}\n${USAGE}`);
  }
  if (values.help === true) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(EXIT.ok);
  }
  const server = values.server ?? env["CNLAB_SERVER"];
  const token = values.token ?? env["CNLAB_TOKEN"];
  const missing = [server === undefined && "--server", token === undefined && "--token", values.lab === undefined && "--lab"].filter((name) => name !== false);
  if (missing.length > 0) throw new CliError(EXIT.usage, `missing ${missing.join(", ")}\n${USAGE}`);
  const format = values.format ?? "table";
  if (!(FORMATS as readonly string[]).includes(format)) throw new CliError(EXIT.usage, `--format must be one of ${FORMATS.join(", ")}; got "${format}"`);
  let base: URL;
  try {
    base = new URL(server!);
    if (base.protocol !== "http:" && base.protocol !== "https:") throw new Error("not http");
  } catch {
    throw new CliError(EXIT.usage, `--server must be an http:// or https:// URL; got "${server}"`);
  }
  const timeout = Number(values.timeout ?? "600");
  if (!Number.isFinite(timeout) || timeout <= 0) throw new CliError(EXIT.usage, `--timeout must be a number of seconds; got "${values.timeout}"`);
  return {
    server: base.href.replace(/\/+$/, ""),
    token: token!,
    lab: values.lab!,
    sessions: values.session ?? [],
    format: format as Format,
    out: values.out ?? null,
    timeoutMs: timeout * 1000,
  };
}

// ── HTTP ──────────────────────────────────────────────────────────────────

const REQUEST_TIMEOUT_MS = 30_000;

async function request(options: Options, method: "GET" | "POST", path: string, body?: unknown): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(`${options.server}${path}`, {
      method,
      headers: { authorization: `Bearer ${options.token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    const reason = cause?.code ?? cause?.message ?? (err as Error).message;
    throw new CliError(EXIT.unreachable, `cannot reach the cnlab server at ${options.server}: ${reason}`);
  }
  if (response.ok) return response;
  const error = await errorOf(response);
  if (response.status === 401) throw new CliError(EXIT.auth, `the server refused the token: ${error.message}`);
  if (response.status === 403) throw new CliError(EXIT.auth, `the token is not an instructor's: ${error.message}`);
  if (error.code === "LAB_NOT_FOUND") throw new CliError(EXIT.usage, `no lab "${options.lab}" on ${options.server}`);
  if (error.code === "SESSION_NOT_FOUND" || error.code === "SESSION_NOT_IN_LAB" || error.code === "VALIDATION_ERROR") throw new CliError(EXIT.usage, error.message);
  throw new CliError(EXIT.unreachable, `the server answered ${response.status} to ${method} ${path}: ${error.message}`);
}

async function errorOf(response: Response): Promise<{ code: string; message: string }> {
  const text = await response.text().catch(() => "");
  try {
    const body = JSON.parse(text) as { error?: { code?: string; message?: string } };
    return { code: body.error?.code ?? "", message: body.error?.message ?? text };
  } catch {
    return { code: "", message: text.slice(0, 200) || response.statusText };
  }
}

async function json<T>(response: Response, what: string): Promise<T> {
  try {
    return (await response.json()) as T;
  } catch {
    throw new CliError(EXIT.unreachable, `the server's answer to ${what} is not JSON: is ${response.url} a cnlab server?`);
  }
}

// ── Progress ──────────────────────────────────────────────────────────────

const POLL_MS = 250;
const BAR_WIDTH = 30;

function progressReporter(stream: NodeJS.WriteStream) {
  const tty = stream.isTTY === true;
  let last = -1;
  return {
    update(graded: number, total: number) {
      if (tty) {
        const filled = total === 0 ? BAR_WIDTH : Math.round((graded / total) * BAR_WIDTH);
        stream.write(`\r[${"#".repeat(filled)}${"-".repeat(BAR_WIDTH - filled)}] ${graded}/${total} sessions graded`);
      } else if (graded !== last) {
        stream.write(`graded ${graded}/${total} sessions\n`);
      }
      last = graded;
    },
    end() {
      if (tty && last >= 0) stream.write("\n");
    },
  };
}

// ── Output ────────────────────────────────────────────────────────────────

/** Columns in a terminal: East Asian wide characters take two. */
function displayWidth(text: string): number {
  let width = 0;
  for (const char of text) width += /[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]/u.test(char) ? 2 : 1;
  return width;
}

function pad(text: string, width: number): string {
  return text + " ".repeat(Math.max(0, width - displayWidth(text)));
}

function table(run: Run): string {
  const tasks = run.tasks ?? [];
  const sessions = run.sessions ?? [];
  const header = ["STUDENT", "SESSION", "SCORE", ...tasks.map((task) => task.id)];
  const rows = sessions.map((session) => {
    if (session.error !== null) return [session.owner.name, session.sessionId.slice(0, 8), "-", `not graded: ${session.error}`];
    return [
      session.owner.name,
      session.sessionId.slice(0, 8),
      `${session.score}/${session.maxScore}`,
      ...tasks.map((task) => {
        const result = session.tasks.find((t) => t.taskId === task.id);
        if (result === undefined) return "-";
        return result.status === "skipped" ? `skip/${result.points}` : `${result.earned}/${result.points}`;
      }),
    ];
  });
  const widths = header.map((cell, column) => Math.max(displayWidth(cell), ...rows.map((row) => (column < row.length - 1 || row.length === header.length ? displayWidth(row[column] ?? "") : 0))));
  const line = (cells: string[]) => cells.map((cell, column) => (column === cells.length - 1 ? cell : pad(cell, widths[column]!))).join("  ");
  const graded = sessions.filter((session) => session.error === null);
  const average = graded.length === 0 ? 0 : graded.reduce((sum, session) => sum + session.score, 0) / graded.length;
  return [
    `lab ${run.labId}, run ${run.id}: ${sessions.length} session${sessions.length === 1 ? "" : "s"}, ${run.maxScore} points at most, ${graded.length === 0 ? "none graded" : `average ${average.toFixed(1)}`}`,
    "",
    line(header),
    ...rows.map(line),
    "",
  ].join("\n");
}

// ── Main ──────────────────────────────────────────────────────────────────

async function main(): Promise<number> {
  const options = parseOptions(process.argv.slice(2), process.env);
  const started = await request(options, "POST", "/api/grading/runs", {
    labId: options.lab,
    ...(options.sessions.length === 0 ? {} : { sessionIds: options.sessions }),
  });
  let run = await json<Run>(started, "POST /api/grading/runs");
  const progress = progressReporter(process.stderr);
  const deadline = Date.now() + options.timeoutMs;
  progress.update(run.progress.graded, run.progress.total);
  while (run.status === "running") {
    if (Date.now() > deadline) {
      progress.end();
      throw new CliError(EXIT.unreachable, `run ${run.id} was still grading after ${options.timeoutMs / 1000} s; read it later with GET /api/grading/runs/${run.id}`);
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    run = await json<Run>(await request(options, "GET", `/api/grading/runs/${run.id}`), "GET /api/grading/runs/:id");
    progress.update(run.progress.graded, run.progress.total);
  }
  progress.end();

  let output: string;
  if (options.format === "csv" || options.format === "junit") {
    output = await (await request(options, "GET", `/api/grading/runs/${run.id}?format=${options.format}`)).text();
  } else {
    output = options.format === "json" ? `${JSON.stringify(run, null, 2)}\n` : table(run);
  }
  if (options.out === null) process.stdout.write(output);
  else await writeFile(options.out, output);

  const notGraded = (run.sessions ?? []).filter((session) => session.error !== null).length;
  if (run.status === "interrupted") {
    process.stderr.write(`grade: the run was interrupted (the server stopped) after ${run.progress.graded} of ${run.progress.total} sessions\n`);
    return EXIT.someNotGraded;
  }
  if (notGraded > 0) {
    process.stderr.write(`grade: ${notGraded} session${notGraded === 1 ? "" : "s"} could not be graded\n`);
    return EXIT.someNotGraded;
  }
  return EXIT.ok;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof CliError) {
      process.stderr.write(`grade: ${err.message}\n`);
      process.exit(err.exitCode);
    }
    process.stderr.write(`grade: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(EXIT.unreachable);
  },
);
