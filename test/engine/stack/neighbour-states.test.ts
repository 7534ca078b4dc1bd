/** The NUD state machine as the kernel runs it, in virtual time. */
import { describe, expect, it } from "vitest";
import { labEngine } from "../helpers/lab-engine.js";

const neigh = (engine: ReturnType<typeof labEngine>, ns: string) =>
  JSON.stringify(engine.state().hosts[0]!.namespaces.find((n) => n.name === ns)!.neighbours);

describe("neighbour states", () => {
  it("REACHABLE → STALE after 30 s, → DELAY when used, → PROBE → REACHABLE on a unicast reply", () => {
    const engine = labEngine("bridge-two-containers");
    engine.run({ host: "node1", namespace: "nginx-1", command: "ping -c 1 172.17.0.3" });
    expect(neigh(engine, "nginx-1")).toContain("REACHABLE");
    const stale = engine.run({ host: "node1", command: "sleep 31" });
    expect(stale.events.some((e) => e.kind === "neigh-state" && e.namespace === "nginx-1" && e.to === "STALE")).toBe(true);
    expect(neigh(engine, "nginx-1")).toContain("STALE");
    const r = engine.run({ host: "node1", namespace: "nginx-1", command: "ping -c 7 172.17.0.3" });
    const path = r.events.filter((e) => e.kind === "neigh-state" && e.namespace === "nginx-1").map((e) => (e.kind === "neigh-state" ? e.to : ""));
    expect(path).toEqual(["DELAY", "PROBE", "REACHABLE"]);
    expect(r.events.some((e) => e.kind === "arp-request" && e.unicast)).toBe(true);
  });

  it("an unanswered address goes INCOMPLETE then FAILED after three requests, and ping reports Destination Host Unreachable", () => {
    const engine = labEngine("bridge-two-containers");
    const r = engine.run({ host: "node1", namespace: "nginx-1", command: "ping -c 5 172.17.0.99" });
    expect(r.events.filter((e) => e.kind === "arp-request").length).toBeGreaterThanOrEqual(3);
    expect(r.events.some((e) => e.kind === "neigh-state" && e.to === "FAILED")).toBe(true);
    expect(r.events.some((e) => e.kind === "drop" && e.reason === "arp-failed")).toBe(true);
    expect(r.output).toContain("From 172.17.0.2 icmp_seq=1 Destination Host Unreachable");
    expect(r.output).toContain("5 packets transmitted, 0 received, +5 errors, 100% packet loss");
    expect(r.exitCode).toBe(1);
  });
});
