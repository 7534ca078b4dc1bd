/**
 * The simulator's settings from the environment: worker threads, what one
 * command may use, what one session's network may hold, and how much a
 * session and a token may store. config.ts merges these variables into the
 * server's configuration; each has a classroom default and a range.
 */
import { DEFAULT_LIMITS, type EngineLimits } from "../engine/index.js";

const MB = 1024 * 1024;

/** Every variable: its default (as the environment would spell it), its range and what it means. */
export const SIMULATOR_VARIABLES = {
  CNLAB_WORKERS: { default: "0", min: 0, max: 64, meaning: "simulator worker threads; 0 picks one fewer than the machine's cores (at least 1)" },
  CNLAB_WORKER_NICE: { default: "10", min: 0, max: 19, meaning: "how much lower the simulator workers' CPU priority is than the thread answering requests (a Linux nice value): when the cores are all busy, requests get them first" },
  CNLAB_WORKER_MEMORY_MB: { default: "1024", min: 64, max: 65_536, meaning: "heap one simulator worker may use, MB; past it the worker is restarted and its sessions rebuilt from their logs" },
  CNLAB_WORKER_YOUNG_MB: { default: "96", min: 8, max: 1024, meaning: "young generation of one simulator worker's heap, MB, on top of CNLAB_WORKER_MEMORY_MB: where a command's trace events live and die; larger, a long command records faster (fewer collections), at up to this much more memory per worker" },
  CNLAB_COMMAND_CPU_MS: { default: "2000", min: 10, max: 3_600_000, meaning: "milliseconds of simulator time one command may take before it is stopped" },
  CNLAB_COMMAND_WALL_MS: { default: "20000", min: 100, max: 3_600_000, meaning: "milliseconds one command may last, waiting for other sessions included, before it is stopped" },
  CNLAB_COMMAND_EVENTS: { default: String(DEFAULT_LIMITS.commandEvents), min: 100, max: 10_000_000, meaning: "trace events one command may record before it is stopped" },
  CNLAB_STORM_EVENTS: { default: String(DEFAULT_LIMITS.stormEvents), min: 100, max: 10_000_000, meaning: "trace events one step of a command (one probe) may cause before it is stopped as a bridge or routing loop" },
  CNLAB_COMMAND_OUTPUT_BYTES: { default: String(DEFAULT_LIMITS.outputBytes), min: 1024, max: 256 * MB, meaning: "bytes of output one command may print; past it the output is cut" },
  CNLAB_MAX_DEVICES: { default: String(DEFAULT_LIMITS.devices), min: 8, max: 1_000_000, meaning: "network devices in one session" },
  CNLAB_MAX_ADDRESSES: { default: String(DEFAULT_LIMITS.addresses), min: 8, max: 1_000_000, meaning: "IPv4 addresses in one session" },
  CNLAB_MAX_ROUTES: { default: String(DEFAULT_LIMITS.routes), min: 8, max: 1_000_000, meaning: "routes in one session" },
  CNLAB_MAX_RULES: { default: String(DEFAULT_LIMITS.rules), min: 8, max: 1_000_000, meaning: "iptables rules and chains in one session" },
  CNLAB_MAX_FDB_ENTRIES: { default: String(DEFAULT_LIMITS.fdbEntries), min: 8, max: 1_000_000, meaning: "bridge FDB entries in one session" },
  CNLAB_MAX_NEIGHBOURS: { default: String(DEFAULT_LIMITS.neighbours), min: 8, max: 1_000_000, meaning: "neighbour (ARP) entries in one session" },
  CNLAB_MAX_SOCKETS: { default: String(DEFAULT_LIMITS.sockets), min: 8, max: 1_000_000, meaning: "sockets in one session" },
  CNLAB_SESSION_STORAGE_MB: { default: "64", min: 1, max: 1_000_000, meaning: "MB of command log (outputs and trace) one session may store; past it its commands are refused" },
  CNLAB_TOKEN_STORAGE_MB: { default: "256", min: 1, max: 1_000_000, meaning: "MB all of one token's sessions may store together; past it their commands are refused" },
  CNLAB_MAX_STATE_MB: { default: "8", min: 1, max: 4096, meaning: "MB one answer of GET /state may hold" },
  CNLAB_MAX_CAPTURE_MB: { default: "64", min: 1, max: 16_384, meaning: "MB one capture file (GET /pcap) may hold" },
} as const;

export type SimulatorVariable = keyof typeof SIMULATOR_VARIABLES;

export interface SimulatorConfig {
  /** Worker threads; 0: one fewer than the cores, at least one. */
  workers: number;
  /** Nice value of the worker threads (Linux), 0: as the rest of the process. */
  workerNice: number;
  workerMemoryMb: number;
  /** The worker's young generation, MB (V8's maxYoungGenerationSizeMb). */
  workerYoungMb: number;
  budget: { cpuMs: number; wallMs: number };
  /** The limits new sessions start with. */
  limits: EngineLimits;
  sessionStorageBytes: number;
  tokenStorageBytes: number;
  maxStateBytes: number;
  maxCaptureBytes: number;
}

export const DEFAULT_SIMULATOR_CONFIG: SimulatorConfig = simulatorConfig((name) => Number(SIMULATOR_VARIABLES[name].default));

/** Builds the settings from the variables' values (already checked against their ranges). */
export function simulatorConfig(value: (name: SimulatorVariable) => number): SimulatorConfig {
  return {
    workers: value("CNLAB_WORKERS"),
    workerNice: value("CNLAB_WORKER_NICE"),
    workerMemoryMb: value("CNLAB_WORKER_MEMORY_MB"),
    workerYoungMb: value("CNLAB_WORKER_YOUNG_MB"),
    budget: { cpuMs: value("CNLAB_COMMAND_CPU_MS"), wallMs: value("CNLAB_COMMAND_WALL_MS") },
    limits: {
      commandEvents: value("CNLAB_COMMAND_EVENTS"),
      stormEvents: value("CNLAB_STORM_EVENTS"),
      outputBytes: value("CNLAB_COMMAND_OUTPUT_BYTES"),
      devices: value("CNLAB_MAX_DEVICES"),
      addresses: value("CNLAB_MAX_ADDRESSES"),
      routes: value("CNLAB_MAX_ROUTES"),
      rules: value("CNLAB_MAX_RULES"),
      fdbEntries: value("CNLAB_MAX_FDB_ENTRIES"),
      neighbours: value("CNLAB_MAX_NEIGHBOURS"),
      sockets: value("CNLAB_MAX_SOCKETS"),
    },
    sessionStorageBytes: value("CNLAB_SESSION_STORAGE_MB") * MB,
    tokenStorageBytes: value("CNLAB_TOKEN_STORAGE_MB") * MB,
    maxStateBytes: value("CNLAB_MAX_STATE_MB") * MB,
    maxCaptureBytes: value("CNLAB_MAX_CAPTURE_MB") * MB,
  };
}
