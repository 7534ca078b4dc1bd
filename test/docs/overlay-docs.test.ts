/** docs/overlays/*.md are generated from the labs and the engine: they must match what the engine prints today. */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { OVERLAY_LABS, overlayDoc } from "../../scripts/overlay-docs.js";

describe("overlay backend pages", () => {
  for (const id of OVERLAY_LABS) {
    it(`docs/overlays/${id}.md is current (npm run docs:overlays)`, () => {
      const page = readFileSync(`docs/overlays/${id}.md`, "utf8");
      expect(page).toBe(overlayDoc(id));
      expect(page).toContain("## The ping, decision by decision");
    });
  }
});
