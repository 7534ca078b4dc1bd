/**
 * Lab files for loader tests: a small valid lab whose line numbers the tests
 * rely on, and a folder to write variations of it into.
 */
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { tempDir } from "./temp-dir.js";

/**
 * A minimal valid lab. Line numbers matter: tests expect errors at them.
 *   1 version   3 title   9 tags   10 texts   12 difficulty   13 topology
 *   16 hosts   17 - name: node1   19 the eth0 NIC   20 walkthrough   21 - host: node1
 */
export function minimalLab(id = "tiny-lab"): string {
  return `version: 1
id: ${id}
title:
  en: A tiny lab
  zh: 一个小实验
summary:
  en: Just enough to load.
  zh: 刚好能加载。
tags: [test]
texts:
  intro: { en: Hello, zh: 你好 }
difficulty: beginner
topology:
  segments:
    - name: underlay
  hosts:
    - name: node1
      nics:
        - { name: eth0, segment: underlay, addresses: [10.0.0.2/24] }
walkthrough:
  - host: node1
    command: ip addr
    explain: { en: Look at the addresses., zh: 看看地址。 }
`;
}

/** Writes `files` (name → content) into a new temporary labs folder. */
export async function labsFolder(files: Record<string, string>): Promise<string> {
  const dir = await tempDir("cnlab-labs-");
  for (const [name, content] of Object.entries(files)) await writeFile(path.join(dir, name), content);
  return dir;
}

/**
 * "Billion laughs" to append to a lab (its keys are not lab fields, but aliases
 * are expanded before the schema is checked): each line repeats the one above
 * nine times. By the parser's count, the first alias of line 4 takes it past
 * the limit.
 */
export const ALIAS_BOMB = `lol1: &lol1 [lol, lol, lol, lol, lol, lol, lol, lol, lol]
lol2: &lol2 [*lol1, *lol1, *lol1, *lol1, *lol1, *lol1, *lol1, *lol1, *lol1]
lol3: &lol3 [*lol2, *lol2, *lol2, *lol2, *lol2, *lol2, *lol2, *lol2, *lol2]
lol4: &lol4 [*lol3, *lol3, *lol3, *lol3, *lol3, *lol3, *lol3, *lol3, *lol3]
lol5: [*lol4, *lol4, *lol4, *lol4, *lol4, *lol4, *lol4, *lol4, *lol4]
`;

/** What the parser says about ALIAS_BOMB. */
export const ALIAS_BOMB_PROBLEM =
  "aliases expand more than 100 times by here (an alias of a node that holds aliases repeats them all): a lab file may expand at most 100";
