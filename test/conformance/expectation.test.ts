/**
 * A scenario this machine cannot build (calico: its kernel has no ipip
 * module) is compared with a hand-written expectation instead of a capture.
 * The shipped expectation loads and the simulator meets it but for the
 * allow-listed differences; a wrong expectation, an outer header's TTL or DF
 * included, fails; a malformed file is refused with where it is wrong; and
 * the report says the comparison was with an expectation.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { allowedBy, readAllowList } from "../../conformance/allow-list.js";
import { compareWithExpectation, type Comparison } from "../../conformance/compare.js";
import { expectationFor, parseExpectation } from "../../conformance/expectation.js";
import { writeReport } from "../../conformance/report.js";
import { labScenarios } from "../../conformance/scenarios.js";
import { runSimulated } from "../../conformance/simulated-run.js";
import { REPO_LABS_DIR } from "../helpers/build-app.js";

const DIR = "conformance/expectations";
const TEXT = readFileSync(`${DIR}/calico.yaml`, "utf8");
const calico = labScenarios(REPO_LABS_DIR).find((s) => s.id === "calico")!;
const sim = runSimulated(calico);
const allow = readAllowList("conformance/allow-list.yaml");
const unexplained = (c: Comparison) => c.differences.filter((d) => allowedBy(allow, "calico", d) === undefined);

/** The shipped expectation with one line of its text replaced (the line must be there, once). */
function edited(from: string, to: string): string {
  expect(TEXT.split(from).length, from).toBe(2);
  return TEXT.replace(from, to);
}

describe("the calico expectation", () => {
  const expectation = expectationFor(DIR, "calico", ".")!;

  it("is read with what it needs, its frames per interface and all seven tables of every namespace", () => {
    expect(expectation).toMatchObject({ scenario: "calico", needs: "ipip", file: "conformance/expectations/calico.yaml" });
    expect([...expectation.frames.keys()]).toContain("node1/root/tunl0");
    expect([...expectation.tables.keys()].sort()).toEqual(["node1/c1", "node1/root", "node2/c3", "node2/root", "router/root"]);
    const request = expectation.frames.get("node1/root/eth0")!.find((f) => f.some(([k, v]) => k === "inner.icmp.type" && v === "echo-request"))!;
    // Scalars stay strings as the suite's fields are: 0x00 is not 0, and the outer header is apart from the inner one.
    expect(request).toEqual(expect.arrayContaining([["ip.proto", "4"], ["ip.ttl", "63"], ["ip.df", "1"], ["ip.tos", "0x00"], ["inner.ip.ttl", "63"], ["inner.ip.proto", "1"]]));
    expect(expectation.tables.get("node1/root")!.link).toContain("tunl0 mtu 1480 UP 0.0.0.0");
  });

  it("is met by the simulator, frame for frame, but for differences the allow-list explains", () => {
    const c = compareWithExpectation(sim, expectation);
    expect(c.framesLinux).toBe(40);
    expect(c.framesPaired).toBe(40);
    expect(c.tablesCompared).toBe(35);
    expect(unexplained(c)).toEqual([]);
  });

  it("fails when it is wrong: an outer TTL, the outer DF, an inner field, a missing frame or a table line", () => {
    const request = "    - dir: out\n      eth: { src: 42:01:0a:a8:00:02, type: 0x0800 }\n      ip: { src: 10.168.0.2, dst: 10.168.1.3, proto: 4, ttl: 63,";
    const outerTtl = parseExpectation(edited(request, request.replace("ttl: 63", "ttl: 64")), "wrong");
    const ttl = unexplained(compareWithExpectation(sim, outerTtl));
    expect(ttl.map((d) => `${d.where}: ${d.text}`)).toContain("node1/root/eth0: out ipip 10.168.0.2 > 10.168.1.3 (inner echo-request): ip.ttl simulator 63, expected 64");

    const wrongs = [
      // The echo reply's outer header as node2 sends it, with DF: Linux copies DF only from an inner packet that has it.
      edited("    - dir: out\n      eth: { src: 42:01:0a:a8:01:03, type: 0x0800 }\n      ip: { src: 10.168.1.3, dst: 10.168.0.2, proto: 4, ttl: 63, tos: 0x00, id: set, df: 0,", "    - dir: out\n      eth: { src: 42:01:0a:a8:01:03, type: 0x0800 }\n      ip: { src: 10.168.1.3, dst: 10.168.0.2, proto: 4, ttl: 63, tos: 0x00, id: set, df: 1,"),
      edited("  node1/root/tunl0:\n    - dir: out\n      ip: { src: 10.244.1.2, dst: 10.244.2.2, proto: 1, ttl: 63,", "  node1/root/tunl0:\n    - dir: out\n      ip: { src: 10.244.1.2, dst: 10.244.2.2, proto: 1, ttl: 64,"),
      edited("  router/root/eth1:\n    - dir: out\n      eth: { src: a6:9c:41:a9:ee:6a, type: 0x0806 }\n      arp: { op: request, sender: a6:9c:41:a9:ee:6a 10.168.1.1, target: 00:00:00:00:00:00 10.168.1.3 }\n", "  router/root/eth1:\n"),
      edited("      - 10.244.2.0/26 via 10.168.1.3 dev tunl0 proto bird onlink\n", ""),
    ];
    for (const text of wrongs) expect(unexplained(compareWithExpectation(sim, parseExpectation(text, "wrong"))).length).toBeGreaterThan(0);
  });

  it("refuses a malformed file and says where", () => {
    expect(() => parseExpectation(edited("    conntrack: []\n  node1/c1:", "  node1/c1:"), "x.yaml")).toThrow("x.yaml: tables node1/root: conntrack must be a list of lines ([] when empty)");
    expect(() => parseExpectation(edited("  node1/c1/eth0:\n    - dir: out\n", "  node1/c1/eth0:\n    - dir: sideways\n"), "x.yaml")).toThrow("x.yaml: frames node1/c1/eth0 #1: dir must be out");
    expect(() => parseExpectation(edited("needs: ipip\n", "needs: ipip\nneed: gre\n"), "x.yaml")).toThrow("x.yaml: unknown key need");
    expect(() => parseExpectation(edited("    - dir: out\n      eth: { src: 0a:58:0a:f4:01:02, type: 0x0806 }\n", "    - dir: out\n      eth: { src: [0a, 58], type: 0x0806 }\n"), "x.yaml")).toThrow("eth.src must be one value");
    expect(() => parseExpectation("scenario: calico\nneeds: ipip\nbasis: b\nframes: {}\ntables:\n  node1: {}\n", "x.yaml")).toThrow("tables: node1 is not host/namespace");
  });

  it("is found by its scenario's name, and another scenario has none", () => {
    expect(expectationFor(DIR, "bridge-two-containers", ".")).toBeNull();
  });
});

describe("the report of a scenario compared with an expectation", () => {
  it("says it was compared with a hand-written expectation, not a capture, and counts its frames as expected ones", () => {
    const expectation = expectationFor(DIR, "calico", ".")!;
    const comparison = compareWithExpectation(sim, expectation);
    const report = writeReport([{ scenario: calico, comparison, notBuilt: "this kernel cannot make ipip devices", expectation, judged: comparison.differences.map((d) => ({ difference: d, allowedBy: allowedBy(allow, "calico", d) })), leftBehind: [] }], "test");
    expect(report).toContain("Totals: 1 scenarios, 0 built on this machine, 1 compared with a hand-written expectation instead");
    expect(report).toContain(`${comparison.framesSimulated} simulated frames, 0 real and 40 expected ones, 40 paired`);
    expect(report).toContain(`| calico | 10 | ${comparison.framesSimulated} / 40 expected | 40 |`);
    expect(report).toContain("Not built on this machine (this kernel cannot make ipip devices): compared with a hand-written expectation, `conformance/expectations/calico.yaml`, not with a capture.");
    expect(report).not.toContain("**not allowed**");
  });
});
