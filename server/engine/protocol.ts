/**
 * The messages between the server and a simulator worker thread: the
 * engine's public API as it crosses a thread. Types only. The server sends a
 * request with an id; the worker answers with one reply of the same id (and,
 * for a capture, the file's bytes first, in chunks). Requests about one
 * session arrive one at a time (the server queues them per session); the
 * worker interleaves different sessions' work in short slices, so no one
 * session's command holds the thread.
 */
import type { CommandFrames } from "./capture/command-frames.js";
import type { CaptureDevice, DeviceSelection } from "./capture/session-capture.js";
import type { Interruption } from "./command-job.js";
import type { Divergence, ReplayInputs } from "./replay.js";
import type { EventSelector } from "./trace/event-selector.js";
import type { NetworkState } from "./state/snapshot.js";

/** What one command may use of the worker, measured by the worker: past either it is stopped between two steps. */
export interface CommandBudget {
  /** Milliseconds of the worker's thread spent stepping this command. */
  cpuMs: number;
  /** Milliseconds from when the worker took the command, waiting for other sessions' slices included. */
  wallMs: number;
}

export type WorkerRequest =
  /** Builds the session's engine and replays its log into it (a session new to this worker, or rebuilt after eviction). */
  | { type: "open"; id: number; session: string; inputs: ReplayInputs }
  /** Runs one command in an open session. */
  | {
      type: "run";
      id: number;
      session: string;
      host: string;
      namespace: string | undefined;
      command: string;
      at: number;
      budget: CommandBudget;
      /** Whether the reply should carry the events' JSON text too (someone streams the session's trace live). */
      withJson: boolean;
    }
  /** The session's state as JSON text, refused past maxBytes. */
  | { type: "state"; id: number; session: string; maxBytes: number }
  /** Forgets an open session (evicted, deleted). No reply. */
  | { type: "drop"; session: string }
  /** Replays a session with the capture hook on: the selected devices' frames as a pcap or pcapng of at most maxBytes. */
  | { type: "capture"; id: number; inputs: ReplayInputs; selection: DeviceSelection; maxBytes: number }
  /** Replays a session through its command at position `index` (of inputs.commands): the bytes of the frames that command's events are about. */
  | { type: "frames"; id: number; inputs: ReplayInputs; index: number }
  /** Builds a throw-away copy of a session (grading): replays it and answers its state. */
  /** Selectors: which trace events a grader is looking for; the reply says which the replay's own events matched. */
  | { type: "copy"; id: number; copy: string; inputs: ReplayInputs; selectors: EventSelector[] }
  /** Runs a probe command on a copy at its current time; null when the copy has no such host or namespace. */
  | { type: "probe"; id: number; copy: string; host: string; namespace: string; command: string }
  /** Forgets a copy. No reply. */
  | { type: "release"; copy: string };

export interface OpenReply {
  /** The seq the next event will get. */
  nextSeq: number;
  /** The engine's virtual time after the replay, µs. */
  now: number;
  /** Set when the replay's events disagree with the log's (the simulator changed since the commands ran). */
  divergedAt: Divergence | null;
}

export interface RunReply {
  output: string;
  exitCode: number;
  /** The events as JSON array texts of at most a thousand events each (serializeEvent's); null unless the request asked for them. */
  eventsJson: string[] | null;
  /** The events as the log stores them: chunks in the compact form, each deflated, behind an index (server/simulator/stored-trace.ts). */
  eventsStored: Uint8Array;
  /** Seqs of the events: [eventsFrom, eventsTo). */
  eventsFrom: number;
  eventsTo: number;
  /** Virtual time when the command (and the network) settled, µs. */
  time: number;
  /** Set when a limit stopped the command: stored with it, so its replay stops at the same step. */
  interruption: Interruption | null;
  /** Milliseconds of the worker's thread the command took. */
  cpuMs: number;
}

export interface StateReply {
  json: string;
}

export interface CaptureReply {
  format: "pcap" | "pcapng";
  devices: CaptureDevice[];
  /** Bytes sent before this reply as chunk messages. */
  byteLength: number;
}

export type FramesReply = CommandFrames;

export interface CopyReply {
  state: NetworkState;
  /** At each selector's place: whether an event of the replay matched it. */
  seen: boolean[];
}

export type ProbeReply = { output: string; exitCode: number } | null;

/** What each request is answered with. */
export interface WorkerReplies {
  open: OpenReply;
  run: RunReply;
  state: StateReply;
  capture: CaptureReply;
  frames: FramesReply;
  copy: CopyReply;
  probe: ProbeReply;
}

/** Why a request failed, for the server to map to an answer. */
export const WORKER_ERROR_CODES = [
  /** The session is not open in this worker (it was dropped, or the worker restarted): open it again. */
  "SESSION_NOT_OPEN",
  "UNKNOWN_HOST",
  "UNKNOWN_NAMESPACE",
  /** A stored topology no longer builds. */
  "INVALID_TOPOLOGY",
  "DEVICE_NOT_FOUND",
  /** No logged command produced the event asked about. */
  "EVENT_NOT_FOUND",
  /** An answer (state, capture) would be larger than the request allows. */
  "TOO_LARGE",
  /** A bug: the worker logged it; the session's engine was dropped. */
  "INTERNAL",
] as const;
export type WorkerErrorCode = (typeof WORKER_ERROR_CODES)[number];

export interface WorkerFailure {
  code: WorkerErrorCode;
  message: string;
}

export type WorkerMessage =
  | { type: "reply"; id: number; ok: true; value: WorkerReplies[keyof WorkerReplies] }
  | { type: "reply"; id: number; ok: false; error: WorkerFailure }
  /** Part of a capture file, before its reply. */
  | { type: "chunk"; id: number; bytes: Uint8Array }
  /** The worker is ready for requests. */
  | { type: "ready" };
