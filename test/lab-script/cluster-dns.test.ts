/**
 * The cluster's DNS in the lab script: each pod gets the resolv.conf the
 * simulator gives it in /etc/netns (and the cleanup removes it), and the DNS
 * pod runs the responder that stands in for CoreDNS. The responder is held
 * to the simulated CoreDNS byte for byte: the queries the simulated tools
 * sent in the lab (nslookup, dig with EDNS, curl's A and AAAA) are put to
 * the responder the script carries, and its answers must be the simulated
 * CoreDNS's answers to the same queries (the SOA serial is the server's
 * clock: the simulator's one is given to the responder).
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { Engine, type TopologySpec } from "../../server/engine/index.js";
import { labScript } from "../../server/lab-script/lab-script.js";
import { REPO_LABS_DIR } from "../helpers/build-app.js";

const lab = parse(readFileSync(path.join(REPO_LABS_DIR, "cluster-dns.yaml"), "utf8")) as { id: string; title: { en: string }; topology: TopologySpec };

function script(): string {
  const made = labScript({ labId: lab.id, title: lab.title.en, topology: lab.topology });
  if (made.kind !== "ok") throw new Error(made.message);
  return made.script;
}

/** The Python program the script's DNS_RESPONDER_PY holds, as bash reads the assignment. */
function responderProgram(text: string): string {
  const start = text.indexOf("DNS_RESPONDER_PY='");
  const end = text.indexOf("\n'\n", start);
  expect(start).toBeGreaterThanOrEqual(0);
  return execFileSync("bash", ["-c", `${text.slice(start, end + 2)}\nprintf %s "$DNS_RESPONDER_PY"`], { encoding: "utf8" });
}

/** The words of the script's start_dns_responder call, as bash splits them (the prefix as $P). */
function responderCall(text: string): string[] {
  const line = text.split("\n").find((l) => l.trim().startsWith("start_dns_responder "));
  expect(line).toBeDefined();
  const out = execFileSync("bash", ["-c", `P=test-; set -- ${line!.trim().slice("start_dns_responder ".length)}; printf '%s\\0' "$@"`], { encoding: "utf8" });
  return out.split("\0").slice(0, -1);
}

/** Loads the responder without serving, and answers each query (hex) with the clock at the given second; "-" for one it drops. */
const HARNESS = `
import sys, time
program, zone = sys.argv[1], sys.argv[2]
sys.argv = ["responder", "53", zone]
responder = {"__name__": "responder"}
exec(compile(program, "responder", "exec"), responder)
for line in sys.stdin:
    query, serial = line.split()
    time.time = lambda s=int(serial): s
    try:
        reply = responder["answer"](bytes.fromhex(query))
    except (ValueError, IndexError):
        reply = None
    print("-" if reply is None else reply.hex())
`;

function askResponder(text: string, queries: { query: Uint8Array; serial: number }[]): string[] {
  const [, port, zone] = responderCall(text);
  expect(port).toBe("53");
  const input = queries.map((q) => `${Buffer.from(q.query).toString("hex")} ${q.serial}\n`).join("");
  return execFileSync("python3", ["-c", HARNESS, responderProgram(text), zone!], { input, encoding: "utf8" }).trim().split("\n");
}

const udpPayload = (frame: Uint8Array) => frame.subarray(14 + (frame[14]! & 15) * 4 + 8);
const u16 = (b: Uint8Array, at: number) => (b[at]! << 8) | b[at + 1]!;

/** An answer's SOA serial: the SOA closes the message, or comes just before the 11-byte OPT record. */
function serialOf(answer: Uint8Array): number {
  if (u16(answer, 8) === 0) return 0;
  const at = answer.length - 20 - (u16(answer, 10) > 0 ? 11 : 0);
  return ((answer[at]! << 24) | (answer[at + 1]! << 16) | (answer[at + 2]! << 8) | answer[at + 3]!) >>> 0;
}

describe("the lab script's cluster DNS", () => {
  it("gives each pod the simulator's resolv.conf and a hosts: files dns nsswitch.conf in /etc/netns, which the cleanup removes", () => {
    const text = script();
    const engine = Engine.create(lab.topology, { seed: 1 }) as Engine;
    const simulated = engine.run({ host: "node2", namespace: "client", command: "cat /etc/resolv.conf" }).output;
    expect(simulated).toBe("search default.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.96.0.10\noptions ndots:5\n");
    expect(text).toContain(`write_netns_file "\${P}node2-client" resolv.conf 'search default.svc.cluster.local svc.cluster.local cluster.local' 'nameserver 10.96.0.10' 'options ndots:5'`);
    expect(text).toContain(`write_netns_file "\${P}node1-coredns-5d78c9869d-7xq2p" resolv.conf 'search kube-system.svc.cluster.local svc.cluster.local cluster.local' 'nameserver 10.96.0.10' 'options ndots:5'`);
    expect(text).toContain(`write_netns_file "\${P}node2-client" nsswitch.conf 'hosts: files dns'`);
    // Four pods, four resolv.conf files; the nodes' own namespaces keep the machine's.
    expect(text.match(/^ {2}write_netns_file \S+ resolv\.conf /gm)).toHaveLength(4);
    expect(text).toContain('rm -f "/etc/netns/$ns/resolv.conf" "/etc/netns/$ns/nsswitch.conf"');

    // write_netns_file writes the lines as given, one per line, where `ip netns exec` looks for them.
    const fn = text.slice(text.indexOf("write_netns_file() {"), text.indexOf("\n}\n", text.indexOf("write_netns_file() {")) + 3);
    const root = execFileSync("mktemp", ["-d"], { encoding: "utf8" }).trim();
    try {
      const written = execFileSync("bash", ["-c", `${fn.replaceAll("/etc/netns", `${root}/etc/netns`)}\nwrite_netns_file p-client resolv.conf 'search a b' 'nameserver 10.96.0.10'\ncat ${root}/etc/netns/p-client/resolv.conf`], { encoding: "utf8" });
      expect(written).toBe("search a b\nnameserver 10.96.0.10\n");
    } finally {
      execFileSync("rm", ["-rf", root]);
    }
  });

  it("runs the responder in CoreDNS's pod with the simulator's zone, and says it stands in for CoreDNS", () => {
    const text = script();
    const [where, port, zoneText] = responderCall(text);
    expect([where, port]).toEqual(["test-node1-coredns-5d78c9869d-7xq2p", "53"]);
    const zone = JSON.parse(zoneText!) as { records: { name: string; addresses: string[] }[]; empty: string[] };
    expect(zone.records).toEqual([
      { name: "hostnames.default.svc.cluster.local", addresses: ["10.96.0.100"] },
      { name: "hostnames-headless.default.svc.cluster.local", addresses: ["10.244.1.3", "10.244.2.2"] },
      { name: "kube-dns.kube-system.svc.cluster.local", addresses: ["10.96.0.10"] },
    ]);
    expect(zone.empty).toEqual(["cluster.local", "svc.cluster.local", "default.svc.cluster.local", "kube-system.svc.cluster.local"]);
    expect(text).toMatch(/# coredns\/coredns-5d78c9869d-7xq2p in node1\/coredns-5d78c9869d-7xq2p serves the cluster's DNS on udp\/53: here a responder stands in for CoreDNS/);
    expect(text).not.toContain('start_listener "${P}node1-coredns-5d78c9869d-7xq2p"');
  });

  it("answers the simulated tools' queries byte for byte as the simulated CoreDNS did", () => {
    const queries: Uint8Array[] = [];
    const answers: Uint8Array[] = [];
    const engine = Engine.create(lab.topology, {
      seed: 1,
      capture: (dev, frame, direction) => {
        if (dev.ns.name !== "coredns-5d78c9869d-7xq2p" || dev.name !== "eth0" || frame.bytes[23] !== 17) return;
        (direction === "rx" ? queries : answers).push(udpPayload(frame.bytes).slice());
      },
    }) as Engine;
    const commands = [
      "nslookup hostnames", // A, then AAAA: NODATA with the zone's SOA
      "nslookup hostnames-headless", // two A records
      "nslookup nope", // NXDOMAIN down the search path, then the upstream's
      "dig +short hostnames", // EDNS: an OPT record back; outside the zone
      "dig +short hostnames.default.svc.cluster.local",
      "dig +short default.svc.cluster.local", // an empty non-terminal: NODATA
      "dig +short KUBE-DNS.kube-system.svc.cluster.local", // the question's case kept, the lookup's ignored
      "curl -s http://hostnames/", // glibc's A and AAAA from one socket
    ];
    for (const command of commands) engine.run({ host: "node2", namespace: "client", command });
    expect(queries.length).toBe(answers.length);
    expect(queries.length).toBe(14);
    const byId = new Map(answers.map((a) => [u16(a, 0), a]));
    const asked = queries.map((q) => ({ query: q, expected: byId.get(u16(q, 0))! }));
    const got = askResponder(script(), asked.map((a) => ({ query: a.query, serial: serialOf(a.expected) })));
    expect(got).toEqual(asked.map((a) => Buffer.from(a.expected).toString("hex")));
    // Something of each kind was asked: a record, NODATA, NXDOMAIN in the zone and outside it, EDNS.
    const rcodes = asked.map((a) => `${a.expected[3]! & 15}/${u16(a.expected, 6)}/${u16(a.expected, 10)}`);
    expect(new Set(rcodes)).toEqual(new Set(["0/1/0", "0/2/0", "0/0/0", "3/0/0", "0/1/1", "3/0/1", "0/0/1"]));
  });

  it("drops what CoreDNS drops: a response, two questions, bytes that do not parse", () => {
    const query = (flags: number, qd: number) => Uint8Array.from([0x12, 0x34, flags >> 8, flags & 255, 0, qd, 0, 0, 0, 0, 0, 0, 1, 97, 0, 0, 1, 0, 1]);
    const got = askResponder(script(), [
      { query: query(0x8100, 1), serial: 0 },
      { query: query(0x0100, 2), serial: 0 },
      { query: Uint8Array.from([0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 5, 97]), serial: 0 },
      { query: Uint8Array.from([0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1]), serial: 0 },
      { query: query(0x0100, 1), serial: 0 },
    ]);
    expect(got.slice(0, 4)).toEqual(["-", "-", "-", "-"]);
    // The one well-formed query, "a." outside the zone: the upstream's NXDOMAIN, recursion available.
    expect(got[4]!.slice(0, 8)).toBe("12348183");
  });
});
