/** The README's configuration table lists every variable the server reads, with its real default. */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { CONFIG_DEFAULTS } from "../../server/config.js";

describe("README configuration table", () => {
  const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
  const rows = new Map([...readme.matchAll(/^\| `([A-Z_]+)` \| ([^|]+) \|/gm)].map((m) => [m[1]!, m[2]!.trim()]));

  it("has a row for every variable", () => {
    expect(Object.keys(CONFIG_DEFAULTS).filter((name) => !rows.has(name))).toEqual([]);
  });

  it("gives each variable's default as the server has it", () => {
    const wrong = Object.entries(CONFIG_DEFAULTS).filter(([name, value]) => value !== "" && rows.get(name) !== `\`${value}\``);
    expect(wrong).toEqual([]);
  });
});
