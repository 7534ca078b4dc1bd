/** Rewrites docs/kubernetes/*.md (npm run docs:kubernetes). */
import { mkdirSync, writeFileSync } from "node:fs";
import { KUBE_LABS, kubeDoc } from "./kube-docs.js";

mkdirSync("docs/kubernetes", { recursive: true });
for (const id of KUBE_LABS) writeFileSync(`docs/kubernetes/${id}.md`, kubeDoc(id));
