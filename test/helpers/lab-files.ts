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
