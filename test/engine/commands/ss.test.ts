/** `ss` lists sockets as iproute2 6.1 does on an 80-column terminal (test/fixtures/linux). */
import { describe, expect, it } from "vitest";
import { renderSsTable, type SsRow } from "../../../server/engine/commands/ss-layout.js";
import type { NetNamespace } from "../../../server/engine/stack/namespace.js";
import type { TcpState } from "../../../server/engine/stack/sockets.js";
import { parseIpv4OrThrow } from "../../../server/engine/wire/ipv4-address.js";
import { chapterTopology } from "../helpers/chapter-topology.js";
import { linuxFixture } from "../helpers/linux-fixtures.js";
import { ToolSession } from "../helpers/tool-session.js";

/** The recordings ran `python3 -m http.server 80` instead of nginx; a python3 service stands in for it. */
function pythonIn(...namespaces: string[]): ToolSession {
  return new ToolSession(
    chapterTopology({
      containers: [
        { name: "nginx-1", image: "nginx", network: "bridge", listen: [] },
        { name: "nginx-2", image: "nginx", network: "bridge", listen: [] },
      ],
      services: namespaces.map((namespace) => ({ name: "python3", namespace, listen: ["tcp/80"] })),
    }),
  );
}

/** Pids are made up by the simulator (see process-profile.ts); compare everything else. */
const maskPid = (t: string) => t.replace(/pid=\d+/g, "pid=N");

function expectFixture(s: ToolSession, command: string, namespace: string, file: string, mask = (t: string) => t): void {
  const f = linuxFixture(file);
  const r = s.run(command, namespace);
  expect(mask(r.output)).toBe(mask(f.text));
  expect(r.exitCode).toBe(f.exit);
}

function connection(ns: NetNamespace, state: TcpState, local: string, localPort: number, remote: string, remotePort: number): void {
  ns.sockets.tcpConnections.push({
    local: parseIpv4OrThrow(local),
    localPort,
    remote: parseIpv4OrThrow(remote),
    remotePort,
    state,
    sndNxt: 0,
    rcvNxt: 0,
    process: "curl",
    listener: null,
    events: {},
    synRetries: 0,
    retransmitSerial: 0,
    timestamps: true,
    tsOffset: 0,
    tsRecent: 0,
    rcvWnd: 0,
    rcvWup: 0,
  });
}

describe("ss -l", () => {
  it("one listener, with and without -p", () => {
    const s = pythonIn("nginx-2");
    expectFixture(s, "ss -ltn", "nginx-2", "nginx-2-ss-ltn");
    expectFixture(s, "ss -ltnp", "nginx-2", "nginx-2-ss-ltnp", maskPid);
  });

  it("no listener: the header alone is spread differently", () => {
    expectFixture(pythonIn("nginx-2"), "ss -ltn", "nginx-1", "nginx-1-ss-ltn-no-listeners");
  });

  it("each namespace has its own sockets", () => {
    const s = pythonIn("nginx-1", "nginx-2");
    expectFixture(s, "ss -ltn", "nginx-1", "nginx-1-ss-ltn-two-namespaces");
    expectFixture(s, "ss -ltn", "nginx-2", "nginx-2-ss-ltn-two-namespaces");
    expectFixture(s, "ss -ltnp", "nginx-1", "nginx-1-ss-ltnp-two-namespaces", maskPid);
    expectFixture(s, "ss -ltn", "root", "host-ss-ltn-two-namespaces");
    expectFixture(pythonIn("root"), "ss -ltnp", "root", "host-ss-ltnp-one-listener", maskPid);
  });

  it("nginx listens with a backlog of 511; without -n port 80 is http", () => {
    const s = new ToolSession();
    expect(s.run("ss -lt", "nginx-1").output).toBe(
      "State    Recv-Q   Send-Q     Local Address:Port     Peer Address:Port  Process  \n" +
        "LISTEN   0        511              0.0.0.0:http          0.0.0.0:*              \n",
    );
    const p = s.run("ss -ltnp", "nginx-1").output;
    expect(p).toMatch(/users:\(\("nginx",pid=\d+,fd=6\)\)\n$/);
    // The same process always gets the same pid.
    expect(s.run("ss -ltnp", "nginx-1").output).toBe(p);
  });

  it("-lun lists UDP sockets as UNCONN; -ltun adds the Netid column", () => {
    const s = new ToolSession(
      chapterTopology({
        containers: [
          { name: "nginx-1", image: "nginx", network: "bridge", listen: ["tcp/80", "udp/53"] },
          { name: "nginx-2", image: "nginx", network: "bridge" },
        ],
      }),
    );
    expect(s.run("ss -lun", "nginx-1").output).toBe(
      "State    Recv-Q   Send-Q     Local Address:Port     Peer Address:Port  Process  \n" +
        "UNCONN   0        0                0.0.0.0:53            0.0.0.0:*              \n",
    );
    expect(s.run("ss -ltun", "nginx-1").output).toBe(
      "Netid  State   Recv-Q  Send-Q   Local Address:Port   Peer Address:Port Process  \n" +
        "udp    UNCONN  0       0              0.0.0.0:53          0.0.0.0:*             \n" +
        "tcp    LISTEN  0       511            0.0.0.0:80          0.0.0.0:*             \n",
    );
  });
});

describe("ss -t with connections", () => {
  it("-tn shows the established connection only", () => {
    const s = pythonIn("nginx-1");
    connection(s.ns("nginx-1"), "ESTAB", "172.17.0.2", 51486, "172.17.0.3", 80);
    expectFixture(s, "ss -tn", "nginx-1", "nginx-1-ss-tn-while-connected");
  });

  it("-tan adds the listener and the TIME-WAIT sockets", () => {
    const s = pythonIn("nginx-1");
    const ns = s.ns("nginx-1");
    connection(ns, "TIME-WAIT", "172.17.0.2", 42102, "172.17.0.3", 80);
    connection(ns, "TIME-WAIT", "172.17.0.2", 51486, "172.17.0.3", 80);
    connection(ns, "ESTAB", "172.17.0.2", 51494, "172.17.0.3", 80);
    connection(ns, "TIME-WAIT", "172.17.0.2", 80, "172.17.0.3", 52424);
    expectFixture(s, "ss -tan", "nginx-1", "nginx-1-ss-tan-while-connected");
    expect(s.run("ss -tan dport = :80", "nginx-1").output.split("\n")).toHaveLength(5);
  });

  it("layouts captured from iproute2 6.1 after a few HTTP requests between two namespaces", () => {
    const s = new ToolSession(
      chapterTopology({
        containers: [
          { name: "nginx-1", image: "nginx", network: "bridge", listen: [] },
          { name: "nginx-2", image: "nginx", network: "bridge", listen: [] },
        ],
        services: [{ name: "python3", namespace: "nginx-2", listen: ["tcp/81", "tcp/80"] }],
      }),
    );
    connection(s.ns("nginx-1"), "TIME-WAIT", "172.17.0.2", 59310, "172.17.0.3", 80);
    connection(s.ns("nginx-2"), "TIME-WAIT", "172.17.0.3", 80, "172.17.0.2", 59322);
    connection(s.ns("nginx-2"), "TIME-WAIT", "172.17.0.3", 80, "172.17.0.2", 59338);
    // Only one state can appear: no State column.
    expect(s.run("ss -tn state time-wait", "nginx-1").output).toBe(
      "Recv-Q    Send-Q       Local Address:Port        Peer Address:Port   Process    \n" +
        "0         0               172.17.0.2:59310         172.17.0.3:80                \n",
    );
    expect(s.run("ss -tan", "nginx-1").output).toBe(
      "State      Recv-Q  Send-Q   Local Address:Port      Peer Address:Port  Process  \n" +
        "TIME-WAIT  0       0           172.17.0.2:59310       172.17.0.3:80             \n",
    );
    expect(s.run("ss -tan", "nginx-2").output).toBe(
      "State      Recv-Q  Send-Q   Local Address:Port     Peer Address:Port   Process  \n" +
        "LISTEN     0       5              0.0.0.0:81            0.0.0.0:*               \n" +
        "LISTEN     0       5              0.0.0.0:80            0.0.0.0:*               \n" +
        "TIME-WAIT  0       0           172.17.0.3:80         172.17.0.2:59322           \n" +
        "TIME-WAIT  0       0           172.17.0.3:80         172.17.0.2:59338           \n",
    );
  });

  it("-s summarises the socket counts", () => {
    const s = pythonIn("nginx-1");
    connection(s.ns("nginx-1"), "TIME-WAIT", "172.17.0.2", 42102, "172.17.0.3", 80);
    expect(s.run("ss -s", "nginx-1").output).toBe(
      "Total: 1\n" +
        "TCP:   2 (estab 0, closed 1, orphaned 0, timewait 1)\n" +
        "\n" +
        "Transport Total     IP        IPv6\n" +
        "RAW\t  0         0         0        \n" +
        "UDP\t  0         0         0        \n" +
        "TCP\t  1         1         0        \n" +
        "INET\t  1         1         0        \n" +
        "FRAG\t  0         0         0        \n" +
        "\n",
    );
  });

  for (const [command, output, exitCode] of [
    ["ss foo", `Error: an inet prefix is expected rather than "foo".\nCannot parse dst/src address.\n`, 1],
    ["ss -ltn state foo", "ss: wrong state name: foo\n", 255],
    ["ss -x", `ss -x: not simulated in cnlab\n`, 1],
    ["ss -V", "ss utility, iproute2-6.1.0\n", 0],
  ] as const) {
    it(command, () => expect(pythonIn("nginx-1").run(command, "nginx-1")).toEqual({ output, exitCode }));
  }
});

describe("the ss table layout (ported from ss.c)", () => {
  const row = (port: string, pid: number): SsRow => ({
    netid: "tcp",
    state: "LISTEN",
    recvQ: 0,
    sendQ: 5,
    local: "0.0.0.0",
    localPort: port,
    peer: "0.0.0.0",
    peerPort: "*",
    process: ` users:(("python3",pid=${pid},fd=3))`,
  });
  const opts = { showNetid: false, showState: true, header: true };

  it("piped (no terminal): compact columns", () => {
    const f = linuxFixture("nginx-2-ss-ltn-pipe");
    expect(renderSsTable([{ ...row("80", 1), process: "" }], { ...opts, screenWidth: null }).join("\n") + "\n").toBe(f.text);
  });

  it("200 columns: the spare width is shared out; the last -p field does not widen its column", () => {
    const f = linuxFixture("nginx-2-ss-ltnp-cols-200");
    expect(renderSsTable([row("80", 12400)], { ...opts, screenWidth: 200 }).join("\n") + "\n").toBe(f.text);
  });

  it("two -p rows: the first one's process field does widen the column", () => {
    // Captured from iproute2 6.1 with two python3 servers in one namespace, at 80 and at 50 columns.
    const users = (pid: number) => `users:(("python3",pid=${pid},fd=3))`;
    expect(renderSsTable([row("81", 26969), row("80", 25693)], { ...opts, screenWidth: 80 })).toEqual([
      "State     Recv-Q    Send-Q       Local Address:Port        Peer Address:Port    Process" + " ".repeat(73),
      `LISTEN    0         5                  0.0.0.0:81               0.0.0.0:*        ${users(26969)}${" ".repeat(45)}`,
      `LISTEN    0         5                  0.0.0.0:80               0.0.0.0:*        ${users(25693)}${" ".repeat(45)}`,
    ]);
    expect(renderSsTable([row("81", 26969), row("80", 25693)], { ...opts, screenWidth: 50 })).toEqual([
      "State    Recv-Q   Send-Q     Local Address:Port                    Peer Address:Port                Process" + " ".repeat(43),
      `LISTEN   0        5                0.0.0.0:81                           0.0.0.0:*                    ${users(26969)}${" ".repeat(15)}`,
      `LISTEN   0        5                0.0.0.0:80                           0.0.0.0:*                    ${users(25693)}${" ".repeat(15)}`,
    ]);
  });
});
