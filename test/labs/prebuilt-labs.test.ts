/**
 * The built server takes the shipped lab files' parse from the build
 * (server/labs/prebuilt-labs.ts): exactly what parsing them now gives, and
 * only for the very text and file name the build read.
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, inject, it } from "vitest";
import { parseLabFile } from "../../server/labs/parse-lab-file.js";
import { prebuiltLab } from "../../server/labs/prebuilt-labs.js";
import { REPO_LABS_DIR } from "../helpers/build-app.js";

/** A module of the build the test setup made, as the running server's chunks are. */
const builtModule = pathToFileURL(path.join(path.dirname(inject("serverEntry")), "chunk.js")).href;
const shipped = readdirSync(REPO_LABS_DIR).filter((name) => name.endsWith(".yaml"));

describe("prebuilt labs", () => {
  it("give every shipped lab exactly as parseLabFile gives it now", () => {
    expect(shipped.length).toBeGreaterThan(0);
    for (const name of shipped) {
      const text = readFileSync(path.join(REPO_LABS_DIR, name), "utf8");
      const id = name.replace(/\.yaml$/, "");
      expect(prebuiltLab(text, id, builtModule)).toStrictEqual(parseLabFile(text, `labs/${name}`, id).lab);
    }
  });

  it("give nothing for a text changed by one byte, under another file name, or from the TypeScript sources", () => {
    const name = shipped[0]!;
    const text = readFileSync(path.join(REPO_LABS_DIR, name), "utf8");
    const id = name.replace(/\.yaml$/, "");
    expect(prebuiltLab(text, id, builtModule)).toBeDefined();
    expect(prebuiltLab(`${text}\n`, id, builtModule)).toBeUndefined();
    expect(prebuiltLab(text, `${id}-copy`, builtModule)).toBeUndefined();
    expect(prebuiltLab(text, id, pathToFileURL(path.join(REPO_LABS_DIR, "..", "server", "labs", "prebuilt-labs.ts")).href)).toBeUndefined();
  });
});
