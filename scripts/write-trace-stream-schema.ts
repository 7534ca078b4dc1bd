/** Writes docs/trace-stream.schema.json from the trace route's message schemas (npm run docs:schema). */
import { writeFileSync } from "node:fs";
import { TraceStreamSchemaDocument } from "../server/routes/sessions/trace-schema.js";

writeFileSync("docs/trace-stream.schema.json", JSON.stringify(TraceStreamSchemaDocument, null, 2) + "\n");
