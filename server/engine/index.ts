/**
 * The engine's one door. Everything outside server/engine/ imports from here
 * and nowhere else (test/engine-boundary.test.ts holds every file to it):
 * the engine, its jobs and replays, capture files, the state and trace-event
 * types and schemas, the topology schema, and the protocol the server speaks
 * with the simulator's worker threads.
 */
export { Engine, type CommandRequest, type CommandResult, type EngineError, type EngineOptions } from "./engine.js";
export { CommandJob, INTERRUPT_REASONS, type InterruptReason, type Interruption } from "./command-job.js";
export { DEFAULT_LIMITS, LEGACY_LIMITS, type EngineLimits } from "./limits.js";
export { replaySession, replaySteps, type Divergence, type ReplayCommand, type ReplayInputs, type ReplayObserver, type ReplayOutcome } from "./replay.js";
export { compileSelector, SelectorWatch, type EventSelector } from "./trace/event-selector.js";
export { compileMatcherRegex, textMatcher, type PlainRule, type TextMatch } from "./trace/text-matcher.js";
export { commandFramesSteps, type CommandFrames, type CommandFramesOutcome } from "./capture/command-frames.js";
export { captureSteps, deviceName, type CaptureDevice, type CaptureOutcome, type DeviceSelection } from "./capture/session-capture.js";
export type { InterfaceState, KubernetesState, NamespaceState, NetworkState } from "./state/snapshot.js";
export type { ClusterDnsZone } from "./kube/dns-zone.js";
export { ROOT_NAMESPACE, Ipv4Address, TopologySpec, HostSpec } from "./topology/topology-schema.js";
export { validateTopology, type TopologyIssue } from "./topology/validate-topology.js";
export { TRACE_EVENT_KINDS, DROP_REASONS, assertNever, type TraceEvent, type TraceEventKind, type DropReason } from "./trace/trace-event.js";
export { TraceEventSchema } from "./trace/trace-event-schema.js";
export { serializeEvent, serializeEvents } from "./trace/serialize-event.js";
export { decodeEventsCompact, encodeEventsCompact, type CompactLayout } from "./trace/compact-events.js";
export { decodeFrame, type DecodedFrame, type DecodedLayer } from "./wire/packet.js";
export { LINKTYPE_ETHERNET, LINKTYPE_RAW } from "./wire/pcap.js";
export type * from "./protocol.js";
export { splitEventsText, layerKindsOf, type EventText } from "./trace/event-text.js";
