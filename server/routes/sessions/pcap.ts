/**
 * GET /api/sessions/:id/pcap: the frames of a session as a capture file.
 * `?host=&device=` (and `namespace=`, `root` when absent) picks one device and
 * answers a classic pcap; without `device` the answer is a pcapng with one
 * interface block per device ("host/namespace/device"), all of them or those
 * of `host` (and `namespace`). A device's frames are what `tcpdump -i DEV`
 * records, promiscuous as tcpdump is by default (a bridge's capture holds
 * what it bridges between its ports); `?promisc=false` gives `tcpdump -p`'s
 * view. pcapng packets carry their direction (epb_flags); classic pcap has no
 * field for it. The frames come from replaying the session in
 * a simulator worker, so the file is the same however often it is asked for;
 * a file larger than CNLAB_MAX_CAPTURE_MB is refused with 413 PAYLOAD_TOO_LARGE
 * (ask for fewer devices), and what is sent goes out at the token's download
 * bandwidth (CNLAB_REPLAY_MB_PER_SECOND, shared with its trace replays).
 */
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "typebox";
import { ErrorResponse } from "../../http/error-response.js";
import { HttpError } from "../../http/http-error.js";
import { perToken } from "../../plugins/rate-limits.js";
import { ROOT_NAMESPACE, type DeviceSelection } from "../../engine/index.js";
import { PacedDownload } from "../../sessions/paced-download.js";
import type { ReplayBandwidth } from "../../sessions/replay-bandwidth.js";
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
    "With `host` and `device`: that device's frames, sent and received, as a classic pcap. Otherwise a pcapng with one interface block per device (all devices, or those of `host` / `namespace`), named `host/namespace/device`, each packet marked inbound or outbound (epb_flags). A device's frames are what `tcpdump -i DEV` records: promiscuous unless `promisc=false` (`tcpdump -p`).",
  params: SessionParams,
  querystring: Type.Object(
    {
      host: Type.Optional(Name),
      namespace: Type.Optional({ ...Name, description: "the device's namespace; `root` (the host's own) when absent" }),
      device: Type.Optional({ ...Name, description: "an interface name (`eth0`, `docker0`); needs `host`" }),
      promisc: Type.Optional(
        Type.Boolean({
          default: true,
          description: "as `tcpdump` (true, the default) or `tcpdump -p` (false): whether a bridge's capture includes the frames it bridges between its ports",
        }),
      ),
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
    413: ErrorResponse,
  },
};

export interface PcapRouteOptions {
  /** Each token's download budget, shared with its trace replays; unpaced when absent (tests of the route alone). */
  bandwidth?: ReplayBandwidth;
}

const pcapRoutes: FastifyPluginAsyncTypebox<PcapRouteOptions> = async (app, options) => {
  app.get("/:id/pcap", { schema: pcapRouteSchema, config: { rateLimit: perToken(EXPORTS_PER_MINUTE, "minute", "capture exports") } }, async (request, reply) => {
    const { id } = request.params;
    const { promisc, ...devices } = request.query;
    const selection: DeviceSelection = { ...devices, promiscuous: promisc !== false };
    if (selection.device !== undefined && selection.host === undefined) {
      throw new HttpError(400, "HOST_REQUIRED", "A device is named by its host: add ?host=");
    }
    const principal = await app.authenticate(request);
    await app.sessions.authorize(principal, id);

    const single = selection.device !== undefined;
    // The file is made in a simulator worker and arrives in chunks once it is whole: the
    // first chunk means it will be sent; a failure before it (404, 413) is an error answer.
    const body = new PacedDownload(options.bandwidth?.pacer(principal.id) ?? null);
    let firstChunk!: () => void;
    const started = new Promise<void>((resolve) => (firstChunk = resolve));
    const made = app.sessionManager.capture(id, selection, (bytes) => {
      body.add(bytes);
      firstChunk();
    });
    await Promise.race([started, made]);
    made.then(
      () => body.finish(),
      (err: Error) => body.destroy(err),
    );

    const scope = single ? { ...selection, namespace: selection.namespace ?? ROOT_NAMESPACE } : selection;
    const filename = ["cnlab", id, scope.host, scope.namespace, single ? selection.device : undefined]
      .filter((part): part is string => part !== undefined)
      .join("-")
      .replace(/[^A-Za-z0-9._-]/g, "_");
    return reply
      .type(single ? PCAP_CONTENT_TYPE : PCAPNG_CONTENT_TYPE)
      .header("content-disposition", `attachment; filename="${filename}.${single ? "pcap" : "pcapng"}"`)
      .send(body);
  });
};

export default pcapRoutes;
