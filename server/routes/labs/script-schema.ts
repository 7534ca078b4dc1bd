/**
 * GET /api/labs/:id/script (and the session's, routes/sessions/script.ts):
 * the prefix a caller may choose for the script's namespaces, and the answer,
 * a bash script or the error shape.
 */
import { Type } from "typebox";
import { ErrorResponse } from "../../http/error-response.js";
import { LAB_ID_PATTERN } from "../../labs/lab-schema.js";
import { PREFIX_PATTERN } from "../../lab-script/script-names.js";

export const SHELL_SCRIPT_TYPE = "text/x-shellscript";

export const ScriptQuery = Type.Object(
  {
    prefix: Type.Optional(
      Type.String({ pattern: PREFIX_PATTERN, description: "what every namespace name starts with; `cnlab-<lab-initials>-` when absent (the script also reads $CNLAB_PREFIX)" }),
    ),
  },
  { additionalProperties: false },
);

export const ScriptBody = {
  description: "a bash script: run it as root (`bash lab.sh`, `bash lab.sh up`, `bash lab.sh down`)",
  content: { [SHELL_SCRIPT_TYPE]: { schema: { type: "string" } } },
};

export const labScriptSchema = {
  tags: ["labs"],
  summary: "The lab as a bash script that builds it for real in network namespaces",
  description:
    "ip netns, veth pairs, bridges, VXLAN, TUN, iptables and sysctls, every namespace named with a prefix, and a cleanup trap that removes them. MACs the lab leaves out are the simulator's, so real captures compare with the simulated ones.",
  params: Type.Object({ id: Type.String({ pattern: LAB_ID_PATTERN, maxLength: 64, description: "lab id, e.g. bridge-two-containers" }) }),
  querystring: ScriptQuery,
  response: { 200: ScriptBody, 400: ErrorResponse, 404: ErrorResponse },
};
