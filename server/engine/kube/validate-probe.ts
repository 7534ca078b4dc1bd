/**
 * What the API server (and this model) refuses in a readinessProbe beyond its
 * shape: no handler, or more than one ("may not specify more than 1 handler
 * type"), and an exec command this model cannot run (cat FILE, ls FILE,
 * test -e|-f FILE are what it runs, against the container's files).
 */
import type { TopologyIssue } from "../topology/validate-topology.js";
import { execProbeFile, type ProbeSpec } from "./readiness-probe.js";

export function validateProbe(p: ProbeSpec, path: string): TopologyIssue[] {
  const handlers = [p.tcpSocket, p.httpGet, p.exec].filter((h) => h !== undefined).length;
  if (handlers === 0) return [{ path, message: "must specify a handler type: tcpSocket, httpGet or exec" }];
  if (handlers > 1) return [{ path, message: "may not specify more than 1 handler type" }];
  if (p.exec !== undefined && execProbeFile(p.exec.command) === null) return [{ path: `${path}/exec/command`, message: "exec probes here run cat FILE, ls FILE or test -e|-f FILE (against the container's files)" }];
  return [];
}
