/**
 * OpenAPI 3 from the routes' own schemas: the document at /openapi.json and
 * Swagger UI at /docs. Registered before the routes so it sees them all.
 */
import swagger from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import fp from "fastify-plugin";
import packageJson from "../../package.json" with { type: "json" };

export default fp(
  async function openApi(app) {
    await app.register(swagger, {
      openapi: {
        openapi: "3.0.3",
        info: {
          title: "cnlab",
          description: "A lab server for container networking: namespaces, veth, bridges, ARP, routing and overlays, simulated.",
          version: packageJson.version,
        },
        tags: [
          { name: "labs", description: "the lab catalogue; instructors add their own labs" },
          { name: "sessions", description: "a student's run of a lab: commands, state, trace" },
          { name: "grading", description: "tasks graded: a student's progress and answers, instructors' grading runs and exports" },
          { name: "tokens", description: "bearer tokens for students and instructors" },
          { name: "health", description: "liveness and database check" },
        ],
        components: {
          securitySchemes: { bearer: { type: "http", scheme: "bearer", description: "a cnlab token: Authorization: Bearer cnlab_…" } },
        },
      },
    });
    await app.register(swaggerUi, { routePrefix: "/docs" });
    app.get("/openapi.json", { schema: { hide: true } }, async () => app.swagger());
  },
  { name: "swagger", fastify: "5.x" },
);
