/** GET /api/sessions/:id/script: the session's lab and commands as a bash script. */
import { ErrorResponse } from "../../http/error-response.js";
import { ScriptBody, ScriptQuery } from "../labs/script-schema.js";
import { SessionParams } from "./trace-schema.js";

export const sessionScriptSchema = {
  tags: ["sessions"],
  summary: "The session as a bash script: its lab built in network namespaces, then every command it ran, in order",
  description:
    "Each command runs in its namespace with `ip netns exec`; `docker exec NAME cmd` runs `cmd` in the container's namespace. Commands that need a daemon the script does not run (docker run, calicoctl) or hold shell syntax stay comments.",
  params: SessionParams,
  querystring: ScriptQuery,
  response: { 200: ScriptBody, 400: ErrorResponse, 401: ErrorResponse, 403: ErrorResponse, 404: ErrorResponse },
};
