/**
 * The load generator of bench/http.ts, in a process of its own so it does
 * not share a thread with the servers it measures: autocannon drives one
 * target for a while and prints one JSON line with what it got. The
 * requests cycle through the given paths (one per session), so a
 * connection's consecutive requests go to different sessions.
 *
 * Takes one argument, JSON: {url, paths, headers, body, connections, seconds}.
 * The line also gives the CPU time it used itself while it drove (cpuMs).
 */
import autocannon from "autocannon";

interface LoadOptions {
  url: string;
  paths: string[];
  headers: Record<string, string>;
  body: string;
  connections: number;
  seconds: number;
}

const options = JSON.parse(process.argv[2] ?? "{}") as LoadOptions;
const cpuBefore = process.cpuUsage();
const result = await autocannon({
  url: options.url,
  connections: options.connections,
  duration: options.seconds,
  method: "POST",
  headers: { ...options.headers, "content-type": "application/json" },
  body: options.body,
  requests: options.paths.map((path) => ({ path })),
});
// Its own CPU over the run (all its threads), so the benchmark can say what the load itself cost the machine.
const cpu = process.cpuUsage(cpuBefore);
const ok = result["2xx"];
process.stdout.write(
  `${JSON.stringify({ perSecond: ok / result.duration, ok, other: result.non2xx, errors: result.errors, timeouts: result.timeouts, p50: result.latency.p50, p99: result.latency.p99, cpuMs: (cpu.user + cpu.system) / 1000 })}\n`,
);
