/** Reads a recorded Linux output (test/fixtures/linux/NAME.txt): the text, and the exit code from its last "# exit N" line. */
import { readFileSync } from "node:fs";

export function linuxFixture(name: string): { text: string; exit: number } {
  const raw = readFileSync(`test/fixtures/linux/${name}.txt`, "utf8");
  const m = /# exit (\d+)\n?$/.exec(raw);
  if (m === null) throw new Error(`${name}: no "# exit N" line`);
  return { text: raw.slice(0, m.index), exit: Number(m[1]) };
}
