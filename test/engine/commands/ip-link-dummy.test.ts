// ip link add … type dummy: a device to point routes at that frees every frame it is given.
//
// No dummy device can be made on the machine the fixtures come from (its kernel has no dummy
// module), so the expected outputs are written from the sources and checked, for the parts
// every device shares, against a real veth recorded there (ip-link-set-name-address-transcript):
// - drivers/net/dummy.c, dummy_setup: ether_setup, then IFF_NOARP set and IFF_MULTICAST
//   cleared, IFF_NO_QUEUE, eth_hw_addr_random, min_mtu = max_mtu = 0; dummy_xmit adds the
//   frame to the tx counters and frees it; the module's init makes numdummies (1) device,
//   "dummy%d", in the initial namespace;
// - iproute2 6.1 ip/iplink_dummy.c: a link_util with no parse_opt (words after `type dummy`
//   are read by nothing) and no print_opt (-d prints the kind alone, as for veth);
// - iproute2's print_linkinfo: `"linkinfo":{"info_kind":KIND}` with -j, the kind on its own
//   line in text, followed by the queue attributes.
import { describe, expect, it } from "vitest";
import type { Engine } from "../../../server/engine/engine.js";
import { chapterTopology } from "../helpers/chapter-topology.js";
import { engineFor } from "../helpers/lab-engine.js";
import { routedEngine } from "../helpers/routed-topology.js";
import { transcript } from "../helpers/transcript.js";

/** A namespace of its own on node1, as fresh as the recordings' (lo is 1, the next device 2). */
function fresh(): { engine: Engine; run: (command: string) => { output: string; exitCode: number } } {
  const engine = engineFor(chapterTopology());
  expect(engine.run({ host: "node1", command: "ip netns add t" }).exitCode).toBe(0);
  return { engine, run: (command) => engine.run({ host: "node1", command: `ip netns exec t ${command}` }) };
}

/** The recorded veth's step for `command`. */
function recorded(command: string): string {
  const step = transcript("ip-link-set-name-address-transcript").find((s) => s.command === command);
  if (step === undefined) throw new Error(`no step ${command}`);
  return step.output;
}

const MAC = /link\/ether ([0-9a-f:]{17}) /;

describe("ip link add NAME type dummy", () => {
  it("makes a down Ethernet device with BROADCAST,NOARP, mtu 1500, qdisc noop and a random locally administered MAC", () => {
    const { run } = fresh();
    expect(run("ip link add d0 type dummy")).toMatchObject({ output: "", exitCode: 0 });
    const shown = run("ip link show d0").output;
    const mac = MAC.exec(shown)![1]!;
    expect(shown).toBe(`2: d0: <BROADCAST,NOARP> mtu 1500 qdisc noop state DOWN mode DEFAULT group default qlen 1000\n    link/ether ${mac} brd ff:ff:ff:ff:ff:ff\n`);
    // eth_random_addr: the multicast bit cleared, the locally administered bit set.
    const first = parseInt(mac.slice(0, 2), 16);
    expect(first & 1).toBe(0);
    expect(first & 2).toBe(2);
  });

  it("up: LOWER_UP with operstate UNKNOWN (the driver never reports a carrier state) and qdisc noqueue (IFF_NO_QUEUE)", () => {
    const { run } = fresh();
    run("ip link add d0 type dummy");
    expect(run("ip link set d0 up").exitCode).toBe(0);
    expect(run("ip link show d0").output).toMatch(/^2: d0: <BROADCAST,NOARP,UP,LOWER_UP> mtu 1500 qdisc noqueue state UNKNOWN mode DEFAULT group default qlen 1000\n/);
    expect(run("ip -br link show d0").output).toMatch(/^d0 +UNKNOWN +[0-9a-f:]{17} <BROADCAST,NOARP,UP,LOWER_UP> \n$/);
    // net-tools: IFF_UP|IFF_BROADCAST|IFF_RUNNING|IFF_NOARP = 0xc3.
    expect(run("ifconfig d0").output).toMatch(/^d0: flags=195<UP,BROADCAST,RUNNING,NOARP>  mtu 1500\n/);
  });

  it("ip -d link shows `dummy` on the kind line, with the common keys a veth has and minmtu 0 maxmtu 0", () => {
    const { run } = fresh();
    run("ip link add d0 address 02:00:00:00:00:0a type dummy");
    // The recorded veth va (ifindex 3, peer vb, 02:00:00:00:00:0a), its kind-specific parts swapped
    // for the dummy's: no peer and no MULTICAST, NOARP, no MTU bounds, one queue each way.
    const expected = recorded("ip -d link show va")
      .replace("3: va@vb: <BROADCAST,MULTICAST,M-DOWN>", "2: d0: <BROADCAST,NOARP>")
      .replace("minmtu 68 maxmtu 65535", "minmtu 0 maxmtu 0")
      .replace("    veth addrgenmode", "    dummy addrgenmode")
      .replace("numtxqueues 2 numrxqueues 2", "numtxqueues 1 numrxqueues 1");
    expect(expected).toContain("    dummy addrgenmode eui64 numtxqueues 1 numrxqueues 1 gso_max_size 65536");
    expect(run("ip -d link show d0").output).toBe(expected);
  });

  it('ip -j -d link: "link_type":"ether", "linkinfo":{"info_kind":"dummy"}, and the veth\'s other keys in the same order', () => {
    const { run } = fresh();
    run("ip link add d0 address 02:00:00:00:00:0a type dummy");
    const [dummy] = JSON.parse(run("ip -j -d link show d0").output) as Record<string, unknown>[];
    const [veth] = JSON.parse(recorded("ip -j -d link show va")) as Record<string, unknown>[];
    const { link: _peer, ...common } = veth!;
    expect(Object.keys(dummy!)).toEqual(Object.keys(common));
    expect(dummy).toEqual({
      ...common,
      ifindex: 2,
      ifname: "d0",
      flags: ["BROADCAST", "NOARP"],
      link_type: "ether",
      min_mtu: 0,
      max_mtu: 0,
      linkinfo: { info_kind: "dummy" },
      num_tx_queues: 1,
      num_rx_queues: 1,
    });
  });

  it("ip link show type dummy lists the dummies only; words after `type dummy` are read by nothing", () => {
    const { run } = fresh();
    run("ip link add va type veth peer name vb");
    run("ip link add d0 type dummy");
    // iplink_dummy.c has no parse_opt: "d5" is not a name here, so the kernel picks dummy%d.
    expect(run("ip link add type dummy d5")).toMatchObject({ output: "", exitCode: 0 });
    expect(
      run("ip link show type dummy")
        .output.split("\n")
        .filter((l) => /^\d+: /.test(l))
        .map((l) => l.split(":")[1]!.trim()),
    ).toEqual(["d0", "dummy0"]);
  });

  it("refuses what the kernel refuses: the same name twice, a multicast or zero address, a name of 16 bytes", () => {
    const { run } = fresh();
    run("ip link add d0 type dummy");
    expect(run("ip link add d0 type dummy")).toMatchObject({ output: "RTNETLINK answers: File exists\n", exitCode: 2 });
    // dummy_validate: is_valid_ether_addr, checked before the name is looked up.
    expect(run("ip link add d0 address 01:00:5e:00:00:01 type dummy")).toMatchObject({ output: "RTNETLINK answers: Cannot assign requested address\n", exitCode: 2 });
    expect(run("ip link add d1 address 00:00:00:00:00:00 type dummy")).toMatchObject({ output: "RTNETLINK answers: Cannot assign requested address\n", exitCode: 2 });
    expect(run("ip link add d1 address 02:00:00:00:00 type dummy")).toMatchObject({ output: "RTNETLINK answers: Invalid argument\n", exitCode: 2 });
    expect(run("ip link add dummy-is-too-long type dummy")).toMatchObject({ output: "Error: Attribute failed policy validation.\n", exitCode: 2 });
    expect(run("ip link show d1").exitCode).toBe(1);
  });
});

describe("the dummy module", () => {
  it("loads with the first dummy asked for, and its init makes dummy0 in the host's own namespace", () => {
    const { engine, run } = fresh();
    const root = (command: string) => engine.run({ host: "node1", command });
    expect(root("ip link show dummy0").exitCode).toBe(1);
    // In namespace t the kernel names an unnamed dummy dummy%d: the first free number there.
    expect(run("ip link add type dummy")).toMatchObject({ output: "", exitCode: 0 });
    expect(run("ip link add type dummy").exitCode).toBe(0);
    expect(run("ip -br link show type dummy").output).toMatch(/^dummy0 +DOWN .*\ndummy1 +DOWN /);
    expect(root("ip link show dummy0").output).toMatch(/^\d+: dummy0: <BROADCAST,NOARP> mtu 1500 qdisc noop state DOWN /);
    // Loaded once: the next dummy on the host makes no other device; in the root namespace dummy0 is taken.
    expect(root("ip link add type dummy").exitCode).toBe(0);
    expect(root("ip -br link show type dummy").output).toMatch(/^dummy0 +DOWN .*\ndummy1 +DOWN .*\n$/);
  });

  it("fails to load when the host's namespace has a dummy0 already (its init cannot register one): the kind stays unknown", () => {
    const { engine, run } = fresh();
    expect(engine.run({ host: "node1", command: "ip link add dummy0 type veth peer name dummy9" }).exitCode).toBe(0);
    expect(run("ip link add d0 type dummy")).toMatchObject({ output: "Error: Unknown device type.\n", exitCode: 2 });
    expect(engine.run({ host: "node1", command: "ip link del dummy0" }).exitCode).toBe(0);
    expect(run("ip link add d0 type dummy").exitCode).toBe(0);
  });
});

describe("traffic and a dummy device", () => {
  function withRoute() {
    const engine = routedEngine();
    const run = (command: string) => engine.run({ host: "node1", namespace: "far", command });
    for (const c of ["ip link add d0 address 02:00:00:00:00:d0 type dummy", "ip link set d0 up", "ip addr add 10.7.0.1/24 dev d0", "ip route add 10.9.0.0/24 dev d0"]) {
      expect(run(c)).toMatchObject({ output: "", exitCode: 0 });
    }
    return { engine, run };
  }

  it("a packet routed to it is sent (counted in tx, seen by tcpdump) and freed: no ARP, no answer", () => {
    const { run } = withRoute();
    const r = run("ping -c 1 -W 1 10.9.0.5");
    expect(r.exitCode).toBe(1);
    expect(r.output).toContain("1 packets transmitted, 0 received, 100% packet loss");
    const kinds = r.events.map((e) => e.kind);
    expect(kinds).not.toContain("arp-request");
    expect(kinds).not.toContain("neigh-state");
    const onD0 = r.events.filter((e) => e.device === "d0").map((e) => (e.kind === "drop" ? `drop:${e.reason}` : e.kind));
    expect(onD0).toEqual(["frame-tx", "drop:dummy-xmit"]);
    expect(r.events.find((e) => e.kind === "drop")!.summary).toBe("d0 (dummy) consumes IP 10.7.0.1 > 10.9.0.5: ICMP echo request, id " + /id (\d+)/.exec(r.events.find((e) => e.kind === "frame-tx")!.summary)![1] + ", seq 1, length 64");
    // IFF_NOARP: the neighbour is NUD_NOARP with the device's own address, so the frame is addressed to d0 itself.
    expect(run("tcpdump -i d0 -n -e -t").output).toContain("02:00:00:00:00:d0 > 02:00:00:00:00:d0, ethertype IPv4 (0x0800), length 98: 10.7.0.1 > 10.9.0.5: ICMP echo request");
    expect(run("ip -s link show d0").output).toContain("    RX:  bytes packets errors dropped  missed   mcast           \n             0       0      0       0       0       0 \n    TX:  bytes packets errors dropped carrier collsns           \n            98       1      0       0       0       0 \n");
    expect(run("ip neigh show dev d0").output).toBe("");
  });

  it("an address on it is one of the namespace's own: a ping to it is answered through lo", () => {
    const { run } = withRoute();
    const r = run("ping -c 1 10.7.0.1");
    expect(r.exitCode).toBe(0);
    expect(r.output).toContain("1 packets transmitted, 1 received, 0% packet loss");
    const devices = new Set(r.events.filter((e) => e.kind === "frame-tx" || e.kind === "frame-rx").map((e) => e.device));
    expect([...devices]).toEqual(["lo"]);
    expect(run("ip route show table local dev d0").output).toContain("local 10.7.0.1 proto kernel scope host src 10.7.0.1");
  });

  it("down, its routes go as any device's; deleted, it and its routes are gone", () => {
    const { run } = withRoute();
    expect(run("ip link set d0 down").exitCode).toBe(0);
    expect(run("ip route").output).not.toContain("d0");
    expect(run("ip link set d0 up").exitCode).toBe(0);
    expect(run("ip route add 10.9.0.0/24 dev d0").exitCode).toBe(0);
    expect(run("ip link del d0")).toMatchObject({ output: "", exitCode: 0 });
    expect(run("ip link show d0")).toMatchObject({ output: 'Device "d0" does not exist.\n', exitCode: 1 });
    expect(run("ip route").output).not.toContain("d0");
  });
});

describe("ip link set on a dummy", () => {
  it("name: the device keeps its addresses and routes under the new name, up as it is", () => {
    const engine = routedEngine();
    const run = (command: string) => engine.run({ host: "node1", namespace: "far", command });
    for (const c of ["ip link add d0 type dummy", "ip link set d0 up", "ip addr add 10.7.0.1/24 dev d0", "ip route add 10.9.0.0/24 dev d0"]) run(c);
    expect(run("ip link set d0 name lab0")).toMatchObject({ output: "", exitCode: 0 });
    expect(run("ip route").output).toBe(
      "default via 10.9.9.1 dev eth0 \n10.7.0.0/24 dev lab0 proto kernel scope link src 10.7.0.1 \n10.9.0.0/24 dev lab0 scope link \n10.9.9.0/24 dev eth0 proto kernel scope link src 10.9.9.9 \n",
    );
    expect(run("ip -br addr show lab0").output).toMatch(/^lab0 +UNKNOWN +10\.7\.0\.1\/24 /);
    expect(run("ip link show d0").exitCode).toBe(1);
    const r = run("ping -c 1 -W 1 10.9.0.5");
    expect(r.events.filter((e) => e.kind === "drop").map((e) => [e.device, e.kind === "drop" ? e.reason : ""])).toEqual([["lab0", "dummy-xmit"]]);
    expect(run("ip link set lab0 name eth0")).toMatchObject({ output: "RTNETLINK answers: File exists\n", exitCode: 2 });
  });

  it("mtu: no bounds but an int's (min_mtu = max_mtu = 0), where a veth stops at 68 and 65535", () => {
    const { run } = fresh();
    run("ip link add d0 type dummy");
    expect(run("ip link set d0 mtu 100000")).toMatchObject({ output: "", exitCode: 0 });
    expect(run("ip link show d0").output).toContain(" mtu 100000 qdisc noop ");
    expect(run("ip link set d0 mtu 0")).toMatchObject({ output: "", exitCode: 0 });
    expect(run("ip link set d0 mtu -1")).toMatchObject({ output: "Error: mtu less than device minimum.\n", exitCode: 2 });
    expect(run("ip link show d0").output).toContain(" mtu 0 qdisc noop ");
  });

  it("address: taken while up (IFF_LIVE_ADDR_CHANGE), a multicast one refused", () => {
    const { run } = fresh();
    run("ip link add d0 type dummy");
    run("ip link set d0 up");
    expect(run("ip link set d0 address 02:00:00:00:00:33")).toMatchObject({ output: "", exitCode: 0 });
    expect(run("ip link show d0").output).toContain("    link/ether 02:00:00:00:00:33 brd ff:ff:ff:ff:ff:ff\n");
    expect(run("ip link set d0 address 03:00:00:00:00:33")).toMatchObject({ output: "RTNETLINK answers: Cannot assign requested address\n", exitCode: 2 });
  });
});

describe("ip link set name and address, and unnamed devices, on a veth and a bridge", () => {
  it("do what Linux did in the recorded transcript", () => {
    const { run } = fresh();
    const steps = transcript("ip-link-set-name-address-transcript");
    expect(steps.length).toBeGreaterThan(40);
    for (const step of steps) {
      const r = run(step.command);
      expect({ command: step.command, output: r.output, exit: r.exitCode }).toEqual({ command: step.command, output: step.output, exit: step.exit });
    }
    // The same dev_alloc_name for a VXLAN device without a name.
    expect(run("ip link add type vxlan id 5 dstport 4789")).toMatchObject({ output: "", exitCode: 0 });
    expect(run("ip -br link show vxlan0").exitCode).toBe(0);
  });
});
