/**
 * A summary the engine keeps for the next packet must be the one it would
 * build for it: the same string while nothing it names changed, a new one as
 * soon as anything did (a port renamed, a route added, another bridge).
 */
import { describe, expect, it } from "vitest";
import { TextMemo } from "../../../server/engine/trace/text-memo.js";
import { labEngine } from "../helpers/lab-engine.js";

describe("TextMemo", () => {
  it("makes a text once for the same values, and again when any of them differs", () => {
    const memo = new TextMemo(4);
    const owner = {};
    let made = 0;
    const text = (a: unknown, b: unknown, c: unknown, d: unknown) => memo.text(owner, a, b, c, d, () => `${String(a)} ${String(b)} ${String(c)} ${String(d)} #${++made}`);
    const first = text(1, "x", null, true);
    expect(text(1, "x", null, true)).toBe(first);
    expect(made).toBe(1);
    expect(text(2, "x", null, true)).toBe("2 x null true #2");
    expect(text(1, "y", null, true)).toBe("1 y null true #3");
    expect(text(1, "x", 0, true)).toBe("1 x 0 true #4");
    expect(text(1, "x", null, false)).toBe("1 x null false #5");
    expect(made).toBe(5);
  });

  it("keeps the few texts an owner made last, and owners apart", () => {
    const memo = new TextMemo(2);
    const [one, two] = [{}, {}];
    let made = 0;
    const text = (owner: object, a: number) => memo.text(owner, a, null, null, null, () => `${a}#${++made}`);
    text(one, 1);
    text(one, 2);
    expect(text(one, 1)).toBe("1#1");
    expect(text(two, 1)).toBe("1#3");
    // A third value pushes out the one made first, even though it was asked for since: it is made again.
    text(one, 3);
    expect(text(one, 2)).toBe("2#2");
    expect(text(one, 3)).toBe("3#4");
    expect(text(one, 1)).toBe("1#5");
  });
});

describe("summaries kept for the next packet", () => {
  const ping = (engine: ReturnType<typeof labEngine>) => engine.run({ host: "node1", namespace: "nginx-1", command: "ping -c 1 172.17.0.3" }).events;
  const summaries = (events: ReturnType<typeof ping>, kind: string) => events.filter((e) => e.kind === kind).map((e) => e.summary);

  it("name a bridge port by its new name once it is renamed", () => {
    const engine = labEngine("bridge-two-containers");
    ping(engine);
    expect(summaries(ping(engine), "bridge-forward")).toContain("docker0 forwards 02:42:ac:11:00:03 from veth9c02e56 to port vethb4963f3 (fdb)");
    for (const command of ["ip link set vethb4963f3 down", "ip link set vethb4963f3 name vethrenamed", "ip link set vethrenamed up"]) {
      expect(engine.run({ host: "node1", command }).exitCode).toBe(0);
    }
    ping(engine); // the port's FDB entries went with its carrier: this one floods
    const after = summaries(ping(engine), "bridge-forward");
    expect(after).toEqual([
      "docker0 forwards 02:42:ac:11:00:03 from veth9c02e56 to port vethrenamed (fdb)",
      "docker0 forwards 02:42:ac:11:00:02 from vethrenamed to port veth9c02e56 (fdb)",
    ]);
  });

  it("count the routes that match again when one is added", () => {
    const engine = labEngine("bridge-two-containers");
    ping(engine);
    const before = summaries(ping(engine), "route-lookup").find((s) => s.startsWith("route to 172.17.0.3: 172.17.0.0/16"));
    expect(before).toBe("route to 172.17.0.3: 172.17.0.0/16 dev eth0 proto kernel scope link src 172.17.0.2 — longest prefix match: /16 among 2 matching routes");
    expect(engine.run({ host: "node1", namespace: "nginx-1", command: "ip route add 172.16.0.0/12 dev eth0" }).exitCode).toBe(0);
    const after = summaries(ping(engine), "route-lookup").find((s) => s.startsWith("route to 172.17.0.3: 172.17.0.0/16"));
    expect(after).toBe("route to 172.17.0.3: 172.17.0.0/16 dev eth0 proto kernel scope link src 172.17.0.2 — longest prefix match: /16 among 3 matching routes");
  });
});
