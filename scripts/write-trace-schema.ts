/** Writes docs/trace-event.schema.json from the engine's schema (npm run docs:schema). */
import { writeFileSync } from "node:fs";
import { TraceEventSchema } from "../server/engine/index.js";

writeFileSync("docs/trace-event.schema.json", JSON.stringify(TraceEventSchema, null, 2) + "\n");
