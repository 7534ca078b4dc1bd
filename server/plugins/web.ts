/**
 * Serves the web page (web/, built by `npm run build:web` into web/dist) at `/`.
 * Files that exist are sent as they are, their precompressed `.br` / `.gz`
 * twin when the client accepts one; Vite's hashed files under /assets/ are
 * cached for a year, index.html never (it names the current hashes). Any other
 * GET outside /api is a page of the single-page app and gets index.html, so a
 * reload of /labs/bridge-two-containers works. /api, /docs and /openapi.json
 * keep their own routes; an unknown /api path stays the API's JSON 404.
 *
 * It does not build the page: `npm install` does (postinstall), and a server
 * started without a build answers `/` with 503 WEB_NOT_BUILT saying so.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import fastifyStatic from "@fastify/static";
import type { FastifyPluginAsync } from "fastify";
import { PROJECT_ROOT } from "../db/prepare-database.js";
import { errorBody } from "../http/error-response.js";

export interface WebPluginOptions {
  /** The built page; web/dist by default (tests give a folder of their own). */
  root?: string;
}

export const WEB_DIST = path.join(PROJECT_ROOT, "web", "dist");

/** A year: Vite puts a content hash in every file name under assets/, so a changed file is a new URL. */
const ASSET_MAX_AGE_MS = 365 * 24 * 3600 * 1000;

const web: FastifyPluginAsync<WebPluginOptions> = async (app, options) => {
  const root = options.root ?? WEB_DIST;
  await app.register(fastifyStatic, { root, serve: false, preCompressed: true, index: false });

  app.route({
    method: ["GET", "HEAD"],
    url: "/*",
    schema: { hide: true },
    handler(request, reply) {
      const pathname = decodeURIComponent(new URL(request.url, "http://page").pathname);
      // The API's unknown paths answer in the API's shape, not with a page.
      if (pathname === "/api" || pathname.startsWith("/api/")) return reply.callNotFound();
      if (!existsSync(path.join(root, "index.html"))) {
        return reply.code(503).send(errorBody("WEB_NOT_BUILT", "The web page has not been built: run `npm run build:web` (npm install runs it)"));
      }
      if (pathname.startsWith("/assets/")) {
        return reply.sendFile(pathname.slice(1), root, { maxAge: ASSET_MAX_AGE_MS, immutable: true });
      }
      // A file at the top of dist (favicon.svg); anything else is a route of the page.
      const last = pathname.slice(pathname.lastIndexOf("/") + 1);
      if (last.includes(".") && existsSync(path.join(root, last))) return reply.sendFile(last, root, { cacheControl: false });
      reply.header("cache-control", "no-cache");
      return reply.sendFile("index.html", root, { cacheControl: false });
    },
  });
};

export default web;
