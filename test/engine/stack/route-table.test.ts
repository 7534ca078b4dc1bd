import { describe, expect, it } from "vitest";
import { RouteTable, formatRoute, type Route } from "../../../server/engine/stack/route-table.js";
import { parseIpv4OrThrow } from "../../../server/engine/wire/ipv4-address.js";

const ip = parseIpv4OrThrow;
const route = (dst: string, prefixLength: number, extra: Partial<Route> = {}): Route => ({
  table: "main",
  type: "unicast",
  dst: ip(dst),
  prefixLength,
  via: null,
  dev: "eth0",
  proto: "kernel",
  scope: "link",
  src: null,
  metric: 0,
  onlink: false,
  ...extra,
});

describe("route table", () => {
  const t = new RouteTable();
  t.add(route("0.0.0.0", 0, { via: ip("172.17.0.1"), proto: "boot", scope: "global" }));
  t.add(route("172.17.0.0", 16, { src: ip("172.17.0.2") }));
  t.add(route("172.17.0.2", 32, { table: "local", type: "local", scope: "host", src: ip("172.17.0.2") }));

  it("prefers the longest prefix and says why", () => {
    const r = t.lookup(ip("172.17.0.3"));
    expect(r.route?.prefixLength).toBe(16);
    expect(r.reason).toBe("longest prefix match: /16 among 2 matching routes");
  });
  it("falls back to the default route", () => {
    expect(t.lookup(ip("10.168.0.3")).route?.via).toBe(ip("172.17.0.1"));
  });
  it("looks at the local table first", () => {
    expect(t.lookup(ip("172.17.0.2")).route?.table).toBe("local");
  });
  it("refuses a duplicate route (RTNETLINK: File exists)", () => {
    expect(t.add(route("172.17.0.0", 16))).toBe(false);
  });
  it("prints like ip route", () => {
    expect(t.routes.filter((r) => r.table === "main").map((r) => formatRoute(r))).toEqual([
      "default via 172.17.0.1 dev eth0",
      "172.17.0.0/16 dev eth0 proto kernel scope link src 172.17.0.2",
    ]);
  });
  it("a lower metric wins among equal prefixes", () => {
    const m = new RouteTable();
    m.add(route("10.0.0.0", 8, { metric: 100, dev: "a" }));
    m.add(route("10.0.0.0", 8, { metric: 10, dev: "b" }));
    expect(m.lookup(ip("10.1.2.3")).route?.dev).toBe("b");
  });
});
