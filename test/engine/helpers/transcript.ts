/** Transcripts captured from Linux (test/fixtures/linux/*-transcript.txt): "$ command" lines, each followed by its output and "# exit N". */
import { readFileSync } from "node:fs";

export function transcript(name: string): { command: string; output: string; exit: number }[] {
  const steps: { command: string; output: string; exit: number }[] = [];
  let current: { command: string; lines: string[] } | null = null;
  for (const line of readFileSync(`test/fixtures/linux/${name}.txt`, "utf8").split("\n")) {
    if (line.startsWith("$ ")) current = { command: line.slice(2), lines: [] };
    else if (line.startsWith("# exit ") && current !== null) {
      steps.push({ command: current.command, output: current.lines.map((l) => `${l}\n`).join(""), exit: Number(line.slice(7)) });
      current = null;
    } else current?.lines.push(line);
  }
  return steps;
}
