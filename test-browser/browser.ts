/**
 * What every browser test needs: a cnlab server of its own (fresh database,
 * a known instructor token, a free port) started as `npm start` starts it,
 * and Debian's Chromium, headless, with a fresh profile, driven by
 * playwright-core. Screenshots go to test-browser/output/ (not committed).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";

export const ROOT = path.resolve(import.meta.dirname, "..");
export const OUTPUT = path.join(ROOT, "test-browser", "output");
export const INSTRUCTOR_TOKEN = "cnlab_browser-test-instructor-0000";
export const CHROMIUM = process.env.CNLAB_CHROMIUM ?? "/usr/bin/chromium";

export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address !== null ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

export interface RunningServer {
  base: string;
  stop(): Promise<void>;
}

export async function startServer(env: Record<string, string> = {}): Promise<RunningServer> {
  const port = await freePort();
  const dir = mkdtempSync(path.join(tmpdir(), "cnlab-browser-"));
  const child: ChildProcess = spawn(process.execPath, ["--import", "tsx", "server/main.ts"], {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: String(port),
      HOST: "127.0.0.1",
      DATABASE_URL: `file:${path.join(dir, "cnlab.db")}`,
      CNLAB_INSTRUCTOR_TOKEN: INSTRUCTOR_TOKEN,
      LOG_LEVEL: "warn",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let log = "";
  child.stdout!.on("data", (d: Buffer) => (log += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (log += d.toString()));
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the server exited: ${log}`);
    try {
      if ((await fetch(`${base}/health`)).ok) break;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) throw new Error(`the server did not start: ${log}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    base,
    async stop() {
      child.kill("SIGTERM");
      await new Promise((r) => child.once("exit", r));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** One person at one browser. */
export interface BrowserUser {
  context: BrowserContext;
  page: Page;
  close(): Promise<void>;
}

/**
 * Chromium with a fresh profile of its own (so two users share no storage),
 * a 1280×800 window, downloads accepted.
 */
export async function launchUser(): Promise<BrowserUser> {
  const profile = mkdtempSync(path.join(tmpdir(), "cnlab-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    args: CHROMIUM_ARGS,
    headless: true,
    viewport: { width: 1280, height: 800 },
    acceptDownloads: true,
    locale: "en-US",
  });
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    context,
    page,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(OUTPUT, { recursive: true });
  await page.screenshot({ path: path.join(OUTPUT, `${name}.png`) });
}

/** An API call as a script would make it, for the tests' own set-up. */
export async function apiCall<T>(base: string, token: string, method: string, url: string, body?: unknown): Promise<T> {
  const response = await fetch(`${base}${url}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${method} ${url}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

/**
 * Signs a new student in as a join link does: a token made with the
 * instructor's, then the catalogue opened with it in the address's fragment.
 */
export async function joinAs(page: Page, base: string, name: string): Promise<void> {
  const { token } = await apiCall<{ token: string }>(base, INSTRUCTOR_TOKEN, "POST", "/api/tokens", { name });
  await page.goto(`${base}/#token=${token}`);
}

/** The text on the visible terminal's screen (xterm's DOM renderer draws one element per row). */
export async function terminalText(page: Page): Promise<string> {
  return page.locator(".pane.visible .xterm-rows").innerText();
}

/** Types into the visible terminal as a person would; Tab and Enter are keys. */
export async function typeInTerminal(page: Page, text: string): Promise<void> {
  await page.locator(".pane.visible .xterm-screen").click();
  await page.keyboard.type(text, { delay: 5 });
}

/** Waits until the visible terminal's command has answered (the terminal is no longer busy and shows a new prompt). */
export async function waitForPrompt(page: Page): Promise<void> {
  // The callback runs in the page; the tests are type-checked without the DOM's types, hence the cast.
  await page.waitForFunction(() => (globalThis as unknown as { document: { querySelector(s: string): unknown } }).document.querySelector(".pane.visible[data-busy]") === null, undefined, {
    timeout: 30_000,
  });
}

/** A classic pcap's records: [magic ok, number of packets, link type]. */
export function parsePcap(bytes: Buffer): { linkType: number; packets: number } {
  const magic = bytes.readUInt32LE(0);
  if (magic !== 0xa1b2c3d4 && magic !== 0xa1b23c4d) throw new Error(`not a little-endian pcap: magic ${magic.toString(16)}`);
  const linkType = bytes.readUInt32LE(20);
  let packets = 0;
  for (let at = 24; at < bytes.length; ) {
    const included = bytes.readUInt32LE(at + 8);
    at += 16 + included;
    if (at > bytes.length) throw new Error("a record runs past the end of the file");
    packets++;
  }
  return { linkType, packets };
}
