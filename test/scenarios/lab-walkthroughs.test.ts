/**
 * Every shipped lab is runnable: its walkthrough, typed in order into a fresh
 * engine, gives the exit codes, output and trace events the lab file promises.
 */
import { readdirSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { type TraceEvent } from "../../server/engine/index.js";
import { labEngine, loadLab } from "../engine/helpers/lab-engine.js";

const labs = readdirSync("labs").filter((f) => f.endsWith(".yaml")).map((f) => f.replace(/\.yaml$/, ""));

function matches(e: TraceEvent, want: { kind: string; host?: string; namespace?: string; device?: string }): boolean {
  return e.kind === want.kind && (want.host === undefined || e.host === want.host) && (want.namespace === undefined || e.namespace === want.namespace) && (want.device === undefined || e.device === want.device);
}

describe("lab walkthroughs", () => {
  it("ships the chapter's three single-host labs", () => {
    expect(labs).toEqual(expect.arrayContaining(["host-network", "bridge-two-containers", "host-to-container"]));
  });

  for (const id of labs) {
    it(`${id}: every walkthrough step does what the lab says`, () => {
      const lab = loadLab(id);
      const engine = labEngine(id);
      expect(lab.walkthrough.length).toBeGreaterThan(0);
      for (const [i, step] of lab.walkthrough.entries()) {
        const r = engine.run({ host: step.host, namespace: step.namespace, command: step.command });
        const where = `step ${i + 1} (${step.command})`;
        const want = step.expect;
        if (want?.exitCode !== undefined) expect(r.exitCode, `${where}\n${r.output}`).toBe(want.exitCode);
        for (const s of want?.output ?? []) expect(r.output, where).toContain(s);
        let at = 0;
        for (const w of want?.events ?? []) {
          const found = r.events.findIndex((e, j) => j >= at && matches(e, w));
          expect(found, `${where}: expected ${JSON.stringify(w)} after event #${at}`).toBeGreaterThanOrEqual(0);
          at = found + 1;
        }
      }
    });
  }
});
