/**
 * A scenario on this machine, for real: the lab script (lab-script/) builds
 * it in namespaces named with a prefix of the suite's own; tcpdump captures
 * every namespace's interfaces; the commands run with `ip netns exec`; the
 * tables are dumped with `ip -j`, `bridge -j`, iptables-save and conntrack;
 * then the script's own `down` removes everything, and the suite checks that
 * nothing with its prefix is left. The simulated nginx's HTTP answer (taken
 * from the simulator's frames) is what the real listener answers, so the TCP
 * segments can be compared length for length.
 */
import { spawn, execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { labScript } from "../server/lab-script/lab-script.js";
import { translateCommand } from "../server/lab-script/command-translation.js";
import type { PlacedNamespace } from "../server/lab-script/topology-commands.js";
import type { CapturedFrame } from "./captured-frame.js";
import { readSll2Pcap } from "./linux-capture.js";
import type { Scenario, ScenarioCommand } from "./scenarios.js";
import { linuxTables, type Tables } from "./tables.js";
import type { RunResult } from "./simulated-run.js";

const run = promisify(execFile);

async function sh(argv: string[], timeoutMs = 30_000): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const { stdout, stderr } = await run(argv[0]!, argv.slice(1), { timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 });
    return { stdout, stderr, code: 0 };
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string; code?: number };
    return { stdout: err.stdout ?? "", stderr: err.stderr ?? "", code: typeof err.code === "number" ? err.code : 1 };
  }
}

/** The first TCP payload a simulated server sent, to be the real listeners' answer. */
export function simulatedHttpAnswer(frames: CapturedFrame[]): Uint8Array | null {
  for (const f of frames) {
    if (f.layer3 || f.direction !== "out" || f.bytes.length < 34) continue;
    const b = f.bytes;
    if (((b[12]! << 8) | b[13]!) !== 0x0800 || b[23] !== 6) continue;
    const ihl = (b[14]! & 15) * 4;
    const tcp = 14 + ihl;
    const sport = (b[tcp]! << 8) | b[tcp + 1]!;
    const dport = (b[tcp + 2]! << 8) | b[tcp + 3]!;
    const total = (b[16]! << 8) | b[17]!;
    const payload = b.subarray(tcp + ((b[tcp + 12]! >> 4) * 4), 14 + total);
    // A server's answer: from its well-known port to a client's ephemeral one.
    if (sport < 32768 && dport >= 32768 && payload.length > 0) return payload.slice();
  }
  return null;
}

export interface LinuxRun extends RunResult {
  /** Namespaces with the suite's prefix still there after `down` (should be none). */
  leftBehind: string[];
}

export async function runOnLinux(scenario: Scenario, prefix: string, httpAnswer: Uint8Array | null): Promise<LinuxRun> {
  const dir = mkdtempSync(path.join(tmpdir(), `cnlab-conformance-${scenario.id}-`));
  try {
    const made = labScript({ labId: scenario.id, title: scenario.title, topology: scenario.topology, prefix });
    if (made.kind !== "ok") throw new Error(made.message);
    const script = path.join(dir, "lab.sh");
    writeFileSync(script, made.script);
    const env = { ...process.env, CNLAB_PREFIX: prefix } as Record<string, string>;
    if (httpAnswer !== null) {
      writeFileSync(path.join(dir, "http-answer"), httpAnswer);
      env.CNLAB_HTTP_REPLY = path.join(dir, "http-answer");
    }
    const up = await new Promise<{ code: number; err: string }>((resolve) => {
      const p = spawn("bash", [script, "up"], { env, stdio: ["ignore", "ignore", "pipe"] });
      let err = "";
      p.stderr.on("data", (d: Buffer) => (err += d.toString()));
      p.on("close", (code) => resolve({ code: code ?? 1, err }));
    });
    if (up.code !== 0) throw new Error(`${scenario.id}: the lab script failed to build it: ${up.err.trim()}`);
    let result: RunResult;
    try {
      result = await captureAndRun(scenario, made.namespaces, prefix, dir);
    } finally {
      await new Promise<void>((resolve) => spawn("bash", [script, "down"], { env, stdio: "ignore" }).on("close", () => resolve()));
    }
    const left = (await sh(["ip", "netns", "list"])).stdout
      .split("\n")
      .map((l) => l.split(" ")[0]!)
      .filter((n) => n.startsWith(prefix));
    return { ...result, leftBehind: left };
  } finally {
    // CONFORMANCE_KEEP=1 keeps the script and the captures, to look into a difference.
    if (process.env.CONFORMANCE_KEEP === "1") console.log(`${scenario.id}: script and captures kept in ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

/** Every namespace of the lab's hosts is captured (the segments' switches are not: the simulator has no such device). */
async function captureAndRun(scenario: Scenario, spaces: PlacedNamespace[], prefix: string, dir: string): Promise<RunResult> {
  const dumps = spaces.map((s) => ({ ...s, ns: `${prefix}${s.suffix}`, file: path.join(dir, `${s.suffix}.pcap`) }));
  // TCP's window scale follows the largest receive buffer, which Linux sizes from the machine's memory:
  // the kernel's defaults for a machine of a few GB, which the simulator models, make it independent of this one.
  for (const d of dumps) await sh(["ip", "netns", "exec", d.ns, "sysctl", "-qw", "net.ipv4.tcp_rmem=4096 131072 6291456"]);
  // tcpdump on one device makes it promiscuous (as the simulator's captures show it); one capture of all
  // devices cannot, so the bridges are made promiscuous here: a bridge then shows the frames it forwards.
  // The ports and other devices see those frames either way.
  for (const d of dumps) {
    const links = JSON.parse((await sh(["ip", "-n", d.ns, "-j", "-d", "link", "show", "type", "bridge"])).stdout || "[]") as { ifname: string }[];
    for (const l of links) await sh(["ip", "-n", d.ns, "link", "set", l.ifname, "promisc", "on"]);
  }
  // A storm's capture is cut after a few thousand packets: only its first frames are compared.
  const count = scenario.frameLimit === undefined ? [] : ["-c", "5000"];
  const captures = await Promise.all(
    dumps.map(
      (d) =>
        new Promise<{ stop: () => Promise<void> }>((resolve, reject) => {
          const p = spawn("ip", ["netns", "exec", d.ns, "tcpdump", "-i", "any", "-n", "-s", "0", ...count, "-w", d.file], { stdio: ["ignore", "ignore", "pipe"] });
          const ended = new Promise<void>((done) => p.on("close", () => done()));
          let err = "";
          p.stderr!.on("data", (chunk: Buffer) => {
            err += chunk.toString();
            if (err.includes("listening on")) resolve({ stop: () => (p.exitCode === null && p.signalCode === null && p.kill("SIGINT"), ended) });
          });
          void ended.then(() => reject(new Error(`tcpdump in ${d.ns} ended: ${err.trim()}`)));
        }),
    ),
  );
  const outputs: string[] = [];
  const runOne = async (c: ScenarioCommand) => {
    const t = translateCommand({ host: c.host, namespace: c.namespace, command: c.command });
    if (t.kind !== "run") return `not run: ${t.reason}`;
    const r = await sh(["ip", "netns", "exec", `${prefix}${t.suffix}`, ...t.argv]);
    return r.stdout + r.stderr;
  };
  const after = scenario.afterOnLinux ?? [];
  const last = scenario.commands.length - 1;
  for (const [i, c] of scenario.commands.entries()) {
    if (i < last || after.length === 0) {
      outputs.push(await runOne(c));
      continue;
    }
    // The last command and what follows it on Linux in one shell, with no pause between (a storm runs until the loop is cut).
    const lines = [c, ...after].map((x) => {
      const t = translateCommand({ host: x.host, namespace: x.namespace, command: x.command });
      return t.kind === "run" ? ["ip", "netns", "exec", `${prefix}${t.suffix}`, ...t.argv].join(" ") : "true";
    });
    const r = await sh(["bash", "-c", lines.join("; ")]);
    outputs.push(r.stdout + r.stderr);
  }
  const lastCommand = Date.now();
  await new Promise((r) => setTimeout(r, ((scenario.settleSeconds ?? 0) + 0.5) * 1000));

  const tables: Tables = new Map();
  const ifnames = new Map<string, Map<number, string>>();
  for (const d of dumps) {
    const ip = (args: string[]) => sh(["ip", "-n", d.ns, ...args]).then((r) => r.stdout);
    const [link, addr, route, neigh, fdb, iptables, conntrack] = await Promise.all([
      ip(["-j", "link", "show"]),
      ip(["-j", "addr", "show"]),
      ip(["route", "show", "table", "main"]),
      ip(["-j", "neigh", "show"]),
      sh(["ip", "netns", "exec", d.ns, "bridge", "-j", "fdb", "show"]).then((r) => r.stdout),
      sh(["ip", "netns", "exec", d.ns, "iptables-save", "-c"]).then((r) => r.stdout),
      sh(["ip", "netns", "exec", d.ns, "conntrack", "-L"]).then((r) => r.stdout),
    ]);
    tables.set(`${d.host}/${d.namespace}`, linuxTables({ link, addr, route, neigh, fdb, iptables, conntrack }));
    ifnames.set(d.suffix, new Map((JSON.parse(link || "[]") as { ifindex: number; ifname: string }[]).map((l) => [l.ifindex, l.ifname])));
  }

  // tcpdump hands over captured packets a block at a time, a block at the latest a second after its
  // first packet; stopped before that, it loses them (and --immediate-mode was seen to lose some too).
  await new Promise((r) => setTimeout(r, Math.max(0, lastCommand + 1300 - Date.now())));
  await Promise.all(captures.map((c) => c.stop()));
  const frames = dumps.flatMap((d) => (existsSync(d.file) ? readSll2Pcap(new Uint8Array(readFileSync(d.file)), { host: d.host, namespace: d.namespace }, ifnames.get(d.suffix)!) : []));
  return { frames, tables, outputs };
}
