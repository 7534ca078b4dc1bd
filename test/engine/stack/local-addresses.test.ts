/**
 * Which addresses a namespace counts as its own (what `-m addrtype --dst-type
 * LOCAL` and the IP layer's local delivery ask): an address is local while a
 * device holding it is up, or the loopback holds it, as the local table keeps
 * an address's route while any device holding it is up (fib_del_ifaddr). The
 * namespace keeps an index of its addresses for this; the index must follow
 * every way an address comes and goes.
 */
import { describe, expect, it } from "vitest";
import { parseIpv4OrThrow } from "../../../server/engine/wire/ipv4-address.js";
import { ToolSession } from "../helpers/tool-session.js";

const ip = (text: string) => parseIpv4OrThrow(text);

/** Runs a command that must succeed. */
function run(t: ToolSession, command: string, namespace?: string): void {
  expect(t.run(command, namespace).exitCode).toBe(0);
}

describe("a namespace's local addresses", () => {
  it("follow ip addr add and del, and the holding device going down and up", () => {
    const t = new ToolSession();
    const ns = t.ns("nginx-1");
    expect(ns.isLocalAddress(ip("172.17.0.2"))).toBe(true);
    expect(ns.isLocalAddress(ip("127.0.0.1"))).toBe(true);
    expect(ns.isLocalAddress(ip("10.9.9.9"))).toBe(false);
    run(t, "ip addr add 10.9.9.9/24 dev eth0", "nginx-1");
    expect(ns.isLocalAddress(ip("10.9.9.9"))).toBe(true);
    run(t, "ip link set eth0 down", "nginx-1");
    expect(ns.isLocalAddress(ip("10.9.9.9"))).toBe(false);
    expect(ns.isLocalAddress(ip("172.17.0.2"))).toBe(false);
    run(t, "ip link set eth0 up", "nginx-1");
    expect(ns.isLocalAddress(ip("10.9.9.9"))).toBe(true);
    run(t, "ip addr del 10.9.9.9/24 dev eth0", "nginx-1");
    expect(ns.isLocalAddress(ip("10.9.9.9"))).toBe(false);
  });

  it("stay local while any device holding the address is up, and on the loopback even when it is down", () => {
    const t = new ToolSession();
    const ns = t.ns("nginx-1");
    run(t, "ip addr add 10.5.5.5/32 dev lo", "nginx-1");
    run(t, "ip addr add 10.5.5.5/32 dev eth0", "nginx-1");
    run(t, "ip link set eth0 down", "nginx-1");
    expect(ns.isLocalAddress(ip("10.5.5.5"))).toBe(true);
    run(t, "ip addr del 10.5.5.5/32 dev lo", "nginx-1");
    expect(ns.isLocalAddress(ip("10.5.5.5"))).toBe(false);
    run(t, "ip link set eth0 up", "nginx-1");
    expect(ns.isLocalAddress(ip("10.5.5.5"))).toBe(true);
  });

  it("leave with a device moved to another namespace, and come with it there", () => {
    const t = new ToolSession();
    run(t, "ip netns add lab");
    run(t, "ip link add v0 type veth peer name v1");
    run(t, "ip addr add 10.7.0.1/24 dev v1");
    run(t, "ip link set v0 up");
    run(t, "ip link set v1 up");
    expect(t.ns().isLocalAddress(ip("10.7.0.1"))).toBe(true);
    run(t, "ip link set v1 netns lab");
    expect(t.ns().isLocalAddress(ip("10.7.0.1"))).toBe(false);
    const lab = t.ns("lab");
    // Moved, a device is down in its new namespace and keeps no addresses (the kernel flushes them).
    expect(lab.isLocalAddress(ip("10.7.0.1"))).toBe(false);
    run(t, "ip addr add 10.7.0.1/24 dev v1", "lab");
    run(t, "ip link set v1 up", "lab");
    expect(lab.isLocalAddress(ip("10.7.0.1"))).toBe(true);
  });
});
