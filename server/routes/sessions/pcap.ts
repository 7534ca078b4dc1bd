/**
 * GET /api/sessions/:id/pcap: the frames of a session as a capture file.
 * `?host=&device=` (and `namespace=`, `root` when absent) picks one device and
 * answers a classic pcap; without `device` the answer is a pcapng with one
 * interface block per device ("host/namespace/device"), all of them or those
 * of `host` (and `namespace`). The frames come from replaying the session
 * (pcap-capture.ts), so the file is the same however often it is asked for.
 */
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "typebox";
import { ErrorResponse } from "../../http/error-response.js";
import { HttpError } from "../../http/http-error.js";
import { perToken } from "../../plugins/rate-limits.js";
import { captureSession, devicePcap, devicesPcapng, selectDevices, type DeviceSelection } from "./pcap-capture.js";
import { SessionParams } from "./trace-schema.js";

export const PCAP_CONTENT_TYPE = "application/vnd.tcpdump.pcap";
export const PCAPNG_CONTENT_TYPE = "application/x-pcapng";

/** Each export replays the whole session: a few a minute is plenty for a person. */
const EXPORTS_PER_MINUTE = 20;

const Name = Type.String({ minLength: 1, maxLength: 64 });
const Binary = { schema: { type: "string", format: "binary" } };

const pcapRouteSchema = {
  tags: ["sessions"],
  summary: "The session's frames as a capture file for Wireshark or tcpdump",
  description:
    "With `host` and `device`: that device's frames, sent and received, as a classic pcap. Otherwise a pcapng with one interface block per device (all devices, or those of `host` / `namespace`), named `host/namespace/device`.",
  params: SessionParams,
  querystring: Type.Object(
    {
      host: Type.Optional(Name),
      namespace: Type.Optional({ ...Name, description: "the device's namespace; `root` (the host's own) when absent" }),
      device: Type.Optional({ ...Name, description: "an interface name (`eth0`, `docker0`); needs `host`" }),
    },
    { additionalProperties: false },
  ),
  response: {
    200: {
      description: "a capture file: classic pcap for one device, pcapng for several",
      content: { [PCAP_CONTENT_TYPE]: Binary, [PCAPNG_CONTENT_TYPE]: Binary },
    },
    400: ErrorResponse,
    401: ErrorResponse,
    403: ErrorResponse,
    404: ErrorResponse,
  },
};

const pcapRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get("/:id/pcap", { schema: pcapRouteSchema, config: { rateLimit: perToken(EXPORTS_PER_MINUTE, "minute", "capture exports") } }, async (request, reply) => {
    const { id } = request.params;
    const selection: DeviceSelection = request.query;
    if (selection.device !== undefined && selection.host === undefined) {
      throw new HttpError(400, "HOST_REQUIRED", "A device is named by its host: add ?host=");
    }
    await app.sessions.authorize(await app.authenticate(request), id);

    const outcome = captureSession(await app.sessions.replayInputs(id));
    if (outcome.kind !== "ok") throw new Error(`session ${id} does not replay: ${outcome.message}`);
    const capture = outcome.capture;
    const picked = selectDevices(capture, selection);
    if (picked.length === 0) {
      const what = [selection.host && `host ${selection.host}`, selection.namespace && `namespace ${selection.namespace}`, selection.device && `device ${selection.device}`].filter(Boolean).join(", ");
      throw new HttpError(404, "DEVICE_NOT_FOUND", `No device in this session matches ${what}`);
    }

    const single = selection.device !== undefined;
    const body = single ? devicePcap(capture, picked[0]!) : devicesPcapng(capture, picked);
    const scope = single ? capture.devices[picked[0]!]! : selection;
    const filename = ["cnlab", id, scope.host, scope.namespace, single ? selection.device : undefined]
      .filter((part): part is string => part !== undefined)
      .join("-")
      .replace(/[^A-Za-z0-9._-]/g, "_");
    return reply
      .type(single ? PCAP_CONTENT_TYPE : PCAPNG_CONTENT_TYPE)
      .header("content-disposition", `attachment; filename="${filename}.${single ? "pcap" : "pcapng"}"`)
      .send(Buffer.from(body.buffer, body.byteOffset, body.byteLength));
  });
};

export default pcapRoutes;
