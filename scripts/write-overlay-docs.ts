/** Rewrites docs/overlays/*.md (npm run docs:overlays). */
import { writeFileSync } from "node:fs";
import { OVERLAY_LABS, overlayDoc } from "./overlay-docs.js";

for (const id of OVERLAY_LABS) writeFileSync(`docs/overlays/${id}.md`, overlayDoc(id));
