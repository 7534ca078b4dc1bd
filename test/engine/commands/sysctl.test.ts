import { describe, expect, it } from "vitest";
import { labEngine } from "../helpers/lab-engine.js";

describe("sysctl net.ipv4.ip_forward", () => {
  it("is per namespace: on in the host (Docker), off in a container", () => {
    const engine = labEngine("bridge-two-containers");
    expect(engine.run({ host: "node1", command: "sysctl net.ipv4.ip_forward" }).output).toBe("net.ipv4.ip_forward = 1\n");
    expect(engine.run({ host: "node1", namespace: "nginx-1", command: "sysctl net/ipv4/ip_forward" }).output).toBe("net.ipv4.ip_forward = 0\n");
  });
  it("turning it off on the host stops containers reaching the other side of the host", () => {
    const engine = labEngine("bridge-two-containers");
    expect(engine.run({ host: "node1", command: "sysctl -w net.ipv4.ip_forward=0" }).output).toBe("net.ipv4.ip_forward = 0\n");
    const r = engine.run({ host: "node1", namespace: "nginx-1", command: "ping -c 1 -W 1 10.168.0.9" });
    expect(r.exitCode).toBe(1);
    expect(r.events.some((e) => e.kind === "drop" && e.reason === "forwarding-disabled" && e.namespace === "root")).toBe(true);
  });
  it("unknown keys and bad values fail and change nothing", () => {
    const engine = labEngine("bridge-two-containers");
    expect(engine.run({ host: "node1", command: "sysctl -w net.ipv4.nosuch=1" })).toMatchObject({ exitCode: 255, output: "sysctl: cannot stat /proc/sys/net/ipv4/nosuch: No such file or directory\n" });
    expect(engine.run({ host: "node1", command: "sysctl -w net.ipv4.ip_forward=7" }).exitCode).toBe(255);
    expect(engine.run({ host: "node1", command: "sysctl net.ipv4.ip_forward" }).output).toBe("net.ipv4.ip_forward = 1\n");
  });
});
