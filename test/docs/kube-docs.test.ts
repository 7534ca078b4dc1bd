/** docs/kubernetes/*.md are generated from the labs and the engine: they must match what the engine prints today. */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { KUBE_LABS, kubeDoc } from "../../scripts/kube-docs.js";

describe("Kubernetes lab pages", () => {
  for (const id of KUBE_LABS) {
    it(`docs/kubernetes/${id}.md is current (npm run docs:kubernetes)`, () => {
      const page = readFileSync(`docs/kubernetes/${id}.md`, "utf8");
      expect(page).toBe(kubeDoc(id));
      expect(page).toMatch(/## The first (connection's SYN|DNS query), rule by rule\n[\s\S]*netfilter +node\d\/root +nat PREROUTING: rule 1 matches/);
    });
  }
});
