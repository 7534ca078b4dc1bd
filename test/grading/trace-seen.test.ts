/**
 * A grader's trace checks are answered by the grading copy's replay watching
 * its own events (as a simulator worker does), or, when the copy was built
 * first, by reading the stored trace: both give the same answers.
 */
import { describe, expect, it } from "vitest";
import { compileSelector, type EventSelector } from "../../server/engine/index.js";
import { EngineSession } from "../helpers/engine-session.js";

const SELECTORS: EventSelector[] = [
  // docker0 floods nginx-1's ARP request out of nginx-2's port.
  { kind: "bridge-flood", host: "node1", fields: { egress: "vethb4963f3" } },
  { kind: "arp-request", namespace: "nginx-1", summary: "/who has 172\\.17\\.0\\.3\\?/" },
  { kind: "icmp-echo", host: "node1", device: "/^eth/", fields: { sequence: 2 } },
  // Never in this session: no third echo, and docker0's stack ignores the flooded request without a route lookup failing.
  { kind: "icmp-echo", fields: { sequence: 3 } },
  { kind: "drop", device: "docker0", fields: { reason: "no-route" } },
];

describe("trace-seen evidence", () => {
  const session = EngineSession.ofLab("bridge-two-containers", 7);
  session.run("node1", "nginx-1", "ping -c 2 172.17.0.3");

  it("nginx-1 pings nginx-2 twice: the copy's replay sees the flood, the ARP request and the second echo, and nothing that did not happen", async () => {
    const seen = await session.evidence().traceSeen(SELECTORS);
    expect(seen).toEqual([true, true, true, false, false]);
    // The same as matching the session's own events one by one.
    expect(SELECTORS.map((s) => session.events.some(compileSelector(s)))).toEqual(seen);
  });

  it("a copy built before the question (for a probe) answers it from the stored trace instead, the same way", async () => {
    const evidence = session.evidence();
    await evidence.state();
    expect(await evidence.traceSeen(SELECTORS)).toEqual([true, true, true, false, false]);
  });
});
