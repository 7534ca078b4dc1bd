/**
 * The baseline of bench/http.ts, in a process of its own: a bare Fastify 5
 * server with one route at the commands' path, validating the same params
 * and body and serialising the same answer schema as the real route
 * (server/routes/sessions/schema.ts), and doing nothing else: no token, no
 * rate limit, no session, no simulator, no database. It answers every
 * request with the answer the real server gave to the same command, passed
 * in BENCH_BARE_ANSWERS ({"<command>": answer}), so both send the same bytes.
 *
 * Prints `listening <port>` once it listens; stops on SIGTERM.
 */
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import Fastify from "fastify";
import { runCommandSchema } from "../server/routes/sessions/schema.js";

const answers = JSON.parse(process.env["BENCH_BARE_ANSWERS"] ?? "{}") as Record<string, unknown>;

const app = Fastify({ logger: false }).withTypeProvider<TypeBoxTypeProvider>();
app.post(
  "/api/sessions/:id/commands",
  { schema: { params: runCommandSchema.params, body: runCommandSchema.body, response: { 200: runCommandSchema.response[200] } } },
  async (request) => {
    const answer = answers[request.body.command];
    // A command the real server was not asked first is the benchmark's mistake: a 500 stops the run.
    if (answer === undefined) throw new Error(`no answer for ${request.body.command}`);
    return answer as never;
  },
);
await app.listen({ port: 0, host: "127.0.0.1" });
const address = app.server.address();
process.stdout.write(`listening ${typeof address === "object" && address !== null ? address.port : 0}\n`);
process.on("SIGTERM", () => void app.close().then(() => process.exit(0)));
