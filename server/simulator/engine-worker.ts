/**
 * A simulator worker thread: holds the engines of the sessions the server
 * opened here and the throw-away copies grading asked for, and answers the
 * requests of the engine's protocol (server/engine/protocol.ts). All work
 * that steps an engine (commands, replays, captures, probes) runs through one
 * SliceScheduler, so the sessions sharing this thread take turns in slices of
 * a few milliseconds. This thread measures the time each command takes and
 * stops it between two steps past its budget; the engine itself never reads
 * a clock.
 */
import { performance } from "node:perf_hooks";
import { parentPort, workerData } from "node:worker_threads";
import {
  CommandJob,
  captureSteps,
  commandFramesSteps,
  Engine,
  replaySteps,
  SelectorWatch,
  type ReplayObserver,
  type ReplayInputs,
  type WorkerFailure,
  type WorkerMessage,
  type WorkerReplies,
  type WorkerRequest,
} from "../engine/index.js";
import type { EngineWorkerData } from "./engine-pool.js";
import { SliceScheduler, type SliceTask } from "./slice-scheduler.js";
import { lowerThreadPriority } from "./thread-priority.js";
import { EventChunker } from "./event-chunker.js";

/** What a capture chunk holds at most, bytes: the server streams them on as they come. */
const CHUNK_BYTES = 1024 * 1024;

class RequestFailed extends Error {
  constructor(readonly failure: WorkerFailure) {
    super(failure.message);
  }
}

const port = parentPort!;
// Requests first, simulation second, when the cores are all busy.
lowerThreadPriority((workerData as EngineWorkerData | null)?.nice ?? 0);
const sessions = new Map<string, Engine>();
const copies = new Map<string, Engine>();
const scheduler = new SliceScheduler();

function send(message: WorkerMessage, transfer?: ArrayBuffer[]): void {
  port.postMessage(message, transfer);
}

function reply<T extends keyof WorkerReplies>(id: number, value: WorkerReplies[T]): void {
  send({ type: "reply", id, ok: true, value });
}

function failed(id: number, err: unknown): void {
  const error: WorkerFailure =
    err instanceof RequestFailed ? err.failure : { code: "INTERNAL", message: err instanceof Error ? (err.stack ?? err.message) : String(err) };
  send({ type: "reply", id, ok: false, error });
}

/** Replays `inputs` into a new engine, yielding between steps; `observer` sees each command's result. */
function* rebuild(inputs: ReplayInputs, observer?: ReplayObserver) {
  const outcome = yield* replaySteps(inputs, undefined, observer);
  if (outcome.kind === "invalid-topology") throw new RequestFailed({ code: "INVALID_TOPOLOGY", message: outcome.message });
  return outcome;
}

function openEngine(session: string): Engine {
  const engine = sessions.get(session);
  if (engine === undefined) throw new RequestFailed({ code: "SESSION_NOT_OPEN", message: `session ${session} is not open in this worker` });
  return engine;
}

function checkPlace(engine: Engine, host: string, namespace: string | undefined): void {
  if (!engine.hostNames().includes(host)) {
    throw new RequestFailed({ code: "UNKNOWN_HOST", message: `This lab has no host "${host}" (hosts: ${engine.hostNames().join(", ")})` });
  }
  if (namespace !== undefined && !engine.namespaceNames(host).includes(namespace)) {
    throw new RequestFailed({
      code: "UNKNOWN_NAMESPACE",
      message: `Host "${host}" has no namespace "${namespace}" (it has: ${engine.namespaceNames(host).join(", ")})`,
    });
  }
}

/**
 * Steps a job to its end, stopping it between two steps once it is over its
 * budget, and hands the events of each step to `chunker` as they come (the
 * serialising of a full chunk is a slice of its own, and counts as the
 * command's work); without one (a probe's), the events are let go.
 */
function* stepJob(job: CommandJob, task: SliceTask, budget: { cpuMs: number; wallMs: number }, chunker: EventChunker | null) {
  while (!job.step()) {
    const events = job.takeEvents();
    if (chunker !== null) {
      chunker.add(events);
      while (chunker.cut(false)) yield;
    }
    yield;
    if (task.cpuMs > budget.cpuMs) job.interrupt("cpu-budget", budget.cpuMs);
    else if (performance.now() - task.startedAt > budget.wallMs) job.interrupt("wall-budget", budget.wallMs);
  }
  return job.result();
}

/** Probes of a grading copy are the lab's own commands: they get the classroom default budget. */
const PROBE_BUDGET = { cpuMs: 2_000, wallMs: 30_000 };

function handle(req: WorkerRequest): void {
  switch (req.type) {
    case "open":
      scheduler.add(function* () {
        const outcome = yield* rebuild(req.inputs);
        sessions.set(req.session, outcome.engine);
        reply<"open">(req.id, { nextSeq: outcome.engine.nextSeq, now: outcome.engine.now, divergedAt: outcome.divergedAt });
      }, (err) => failed(req.id, err));
      return;
    case "run":
      scheduler.add(
        function* (task) {
          const engine = openEngine(req.session);
          checkPlace(engine, req.host, req.namespace);
          const eventsFrom = engine.nextSeq;
          const job = engine.start({ host: req.host, namespace: req.namespace, command: req.command, at: req.at });
          // Encoding and compressing the trace (a chunk a slice) here keep both off the thread that
          // answers requests, and this one goes on with other sessions between two slices.
          const chunker = new EventChunker({ live: req.withJson });
          let result;
          try {
            result = job instanceof CommandJob ? yield* stepJob(job, task, req.budget, chunker) : job;
          } catch (err) {
            // Half-way through a change: the server rebuilds the session from its log.
            sessions.delete(req.session);
            throw err;
          }
          chunker.add(result.events);
          while (chunker.cut(true)) yield;
          const eventsStored = chunker.finish();
          const value: WorkerReplies["run"] = {
            output: result.output,
            exitCode: result.exitCode,
            // The head and the tail of a long command go live; its middle is read from the store (stored-trace.ts).
            eventsJson: req.withJson ? chunker.liveJson() : null,
            eventsFrom,
            eventsTo: engine.nextSeq,
            time: result.time,
            interruption: result.interruption,
            cpuMs: task.cpuMs,
            eventsStored,
          };
          send({ type: "reply", id: req.id, ok: true, value }, [eventsStored.buffer as ArrayBuffer]);
        },
        (err) => failed(req.id, err),
      );
      return;
    case "state":
      try {
        const json = JSON.stringify(openEngine(req.session).state());
        if (json.length > req.maxBytes) {
          throw new RequestFailed({ code: "TOO_LARGE", message: `The network's state is ${json.length} bytes, more than the ${req.maxBytes} one answer may hold.` });
        }
        reply<"state">(req.id, { json });
      } catch (err) {
        failed(req.id, err);
      }
      return;
    case "drop":
      sessions.delete(req.session);
      return;
    case "capture":
      scheduler.add(function* () {
        const outcome = yield* captureSteps(req.inputs, req.selection, req.maxBytes);
        switch (outcome.kind) {
          case "ok": {
            const { bytes } = outcome;
            for (let offset = 0; offset < bytes.length; offset += CHUNK_BYTES) {
              const chunk = bytes.slice(offset, offset + CHUNK_BYTES);
              send({ type: "chunk", id: req.id, bytes: chunk }, [chunk.buffer as ArrayBuffer]);
            }
            reply<"capture">(req.id, { format: outcome.format, devices: outcome.devices, byteLength: bytes.length });
            return;
          }
          case "invalid-topology":
            throw new RequestFailed({ code: "INVALID_TOPOLOGY", message: outcome.message });
          case "device-not-found":
            throw new RequestFailed({ code: "DEVICE_NOT_FOUND", message: outcome.message });
          case "too-large":
            throw new RequestFailed({ code: "TOO_LARGE", message: outcome.message });
          default: {
            const never: never = outcome;
            throw new Error(`unknown capture outcome ${String(never)}`);
          }
        }
      }, (err) => failed(req.id, err));
      return;
    case "frames":
      scheduler.add(function* () {
        const outcome = yield* commandFramesSteps(req.inputs, req.index);
        switch (outcome.kind) {
          case "ok":
            send({ type: "reply", id: req.id, ok: true, value: outcome.frames }, [outcome.frames.bytes.buffer as ArrayBuffer]);
            return;
          case "invalid-topology":
            throw new RequestFailed({ code: "INVALID_TOPOLOGY", message: outcome.message });
          case "command-not-found":
            throw new RequestFailed({ code: "EVENT_NOT_FOUND", message: outcome.message });
          default: {
            const never: never = outcome;
            throw new Error(`unknown frames outcome ${String(never)}`);
          }
        }
      }, (err) => failed(req.id, err));
      return;
    case "copy":
      scheduler.add(function* () {
        // The grader's trace checks are answered from the replay's own events as they go by:
        // the server need not read the stored trace back.
        const watch = new SelectorWatch(req.selectors);
        const outcome = yield* rebuild(req.inputs, { commandEvents: (_index, events) => watch.watch(events) });
        copies.set(req.copy, outcome.engine);
        reply<"copy">(req.id, { state: outcome.engine.state(), seen: watch.seen });
      }, (err) => failed(req.id, err));
      return;
    case "probe":
      scheduler.add(
        function* (task) {
          const engine = copies.get(req.copy);
          if (engine === undefined) throw new RequestFailed({ code: "SESSION_NOT_OPEN", message: `copy ${req.copy} is not open in this worker` });
          if (!engine.hostNames().includes(req.host) || !engine.namespaceNames(req.host).includes(req.namespace)) {
            reply<"probe">(req.id, null);
            return;
          }
          const job = engine.start({ host: req.host, namespace: req.namespace, command: req.command, at: engine.now });
          const result = job instanceof CommandJob ? yield* stepJob(job, task, PROBE_BUDGET, null) : job;
          reply<"probe">(req.id, { output: result.output, exitCode: result.exitCode });
        },
        (err) => failed(req.id, err),
      );
      return;
    case "release":
      copies.delete(req.copy);
      return;
    default: {
      const never: never = req;
      throw new Error(`unknown request ${JSON.stringify(never)}`);
    }
  }
}

port.on("message", handle);
send({ type: "ready" });
