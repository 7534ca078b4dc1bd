import { describe, expect, it } from "vitest";
import { complete, type CompletionNames } from "../../web/src/terminal/completion.js";
import { applyKey, emptyLine, parseKeys, pushHistory, renderLine, type Key, type LineState } from "../../web/src/terminal/line-editor.js";

const type = (state: LineState, ...keys: Key[]) => keys.reduce((s, k) => applyKey(s, k).state, state);
const text = (t: string): Key => ({ type: "text", text: t });

describe("the terminal's line editor", () => {
  it("walks the history with ↑ and ↓ and gives back the line being typed", () => {
    let s = emptyLine(["ifconfig", "route -n"]);
    s = type(s, text("ip li"), { type: "up" });
    expect(s.line).toBe("route -n");
    s = type(s, { type: "up" });
    expect(s.line).toBe("ifconfig");
    expect(applyKey(s, { type: "up" }).effects).toEqual([{ type: "bell" }]);
    s = type(s, { type: "down" }, { type: "down" });
    expect(s).toMatchObject({ line: "ip li", cursor: 5 });
  });

  it("submits the line and keeps it in history once, without blanks or repeats", () => {
    const { state, effects } = applyKey(type(emptyLine(["brctl show"]), text("brctl show")), { type: "enter" });
    expect(effects).toEqual([{ type: "submit", line: "brctl show" }]);
    expect(state.history).toEqual(["brctl show"]);
    expect(pushHistory(["a"], "   ")).toEqual(["a"]);
    expect(pushHistory(["a"], "b")).toEqual(["a", "b"]);
  });

  it("abandons the line on Ctrl-C without keeping it, and clears the screen on Ctrl-L", () => {
    const typed = type(emptyLine(), text("ping 172.17.0.3"));
    const c = applyKey(typed, { type: "ctrl-c" });
    expect(c.effects).toEqual([{ type: "interrupt", line: "ping 172.17.0.3" }]);
    expect(c.state).toMatchObject({ line: "", cursor: 0, history: [] });
    expect(applyKey(typed, { type: "ctrl-l" }).effects[0]).toEqual({ type: "clear-screen" });
  });

  it("edits in the middle of the line", () => {
    let s = type(emptyLine(), text("ip lnk"), { type: "left" }, { type: "left" }, text("i"));
    expect(s).toMatchObject({ line: "ip link", cursor: 5 });
    s = type(s, { type: "end" }, { type: "ctrl-w" });
    expect(s.line).toBe("ip ");
    s = type(s, { type: "home" }, { type: "delete" });
    expect(s.line).toBe("p ");
  });

  it("reads xterm's keys and a pasted two-line script", () => {
    expect(parseKeys("\x1b[A\x1b[B\x7f\t\x03\x0c")).toEqual([{ type: "up" }, { type: "down" }, { type: "backspace" }, { type: "tab" }, { type: "ctrl-c" }, { type: "ctrl-l" }]);
    expect(parseKeys("ip link\r\nbrctl show\r")).toEqual([text("ip link"), { type: "enter" }, text("brctl show"), { type: "enter" }]);
    expect(parseKeys("a\x1b[200~b")).toEqual([text("a"), text("b")]);
  });

  it("redraws the prompt and line and puts the cursor back where it was", () => {
    const s = type(emptyLine(), text("ip link"), { type: "left" }, { type: "left" });
    const { data, rowsAbove } = renderLine("$ ", 2, s, 80, 0);
    expect(data).toBe("\r\x1b[J$ ip link\r\x1b[7C");
    expect(rowsAbove).toBe(0);
    // A line longer than the terminal: the cursor's row is below the prompt's.
    const long = type(emptyLine(), text("x".repeat(30)));
    expect(renderLine("$ ", 2, long, 20, 0)).toEqual({ data: `\r\x1b[J$ ${"x".repeat(30)}\r\x1b[12C`, rowsAbove: 1 });
  });
});

const names: CompletionNames = { devices: ["docker0", "eth0", "lo", "veth9c02e56", "vethb4963f3"], bridges: ["docker0"], containers: ["nginx-1", "nginx-2"], namespaces: [] };

describe("tab completion", () => {
  it("completes command names", () => {
    expect(complete("brc", 3, names)).toMatchObject({ start: 0, candidates: ["brctl"], replacement: "brctl " });
    expect(complete("i", 1, names).candidates).toEqual(["ifconfig", "ip", "ipset", "iptables", "iptables-save"]);
    expect(complete("i", 1, names).replacement).toBe("i");
  });

  it("completes sub-commands", () => {
    expect(complete("brctl sh", 8, names)).toMatchObject({ start: 6, candidates: ["show", "showmacs"], replacement: "show" });
    expect(complete("ip ne", 5, names).candidates).toEqual(["neigh", "netns"]);
    expect(complete("ip nei", 6, names).replacement).toBe("neigh ");
    expect(complete("bridge f", 8, names).replacement).toBe("fdb ");
    expect(complete("docker ex", 9, names).replacement).toBe("exec ");
  });

  it("completes device, bridge and container names from the state", () => {
    expect(complete("ip link show dev veth9", 22, names).replacement).toBe("veth9c02e56 ");
    expect(complete("ip link set eth0 master d", 25, names).replacement).toBe("docker0 ");
    expect(complete("bridge fdb show br d", 20, names).replacement).toBe("docker0 ");
    expect(complete("brctl showmacs ", 15, names).candidates).toEqual(["docker0"]);
    expect(complete("docker exec nginx-", 18, names).candidates).toEqual(["nginx-1", "nginx-2"]);
    expect(complete("ifconfig veth", 13, names).candidates).toEqual(["veth9c02e56", "vethb4963f3"]);
  });

  it("completes the word under the cursor, not the end of the line", () => {
    const c = complete("ip ro show", 5, names);
    expect(c).toMatchObject({ start: 3, word: "ro", replacement: "route " });
  });
});
