/**
 * The web dashboard (web/, built into dist/web): its files at /, index.html for the
 * single-page app's own paths, and the security headers every answer of this server carries.
 * Nothing here is under /api, and nothing here needs an API key: the page asks for one when
 * the API answers 401.
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import fastifyStatic from "@fastify/static";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { errorBody, HttpOnlyCode } from "./errors.js";

/** dist/web next to this file's dist/daemon/gateway/http. */
export const DASHBOARD_DIR = fileURLToPath(new URL("../../../web/", import.meta.url));

// Vite's build has no inline script or style, and React/uPlot set styles through the CSSOM
// (allowed by style-src 'self'), so nothing needs 'unsafe-inline'.
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self' data:",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
  "form-action 'self'",
].join("; ");

const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "content-security-policy": CONTENT_SECURITY_POLICY,
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "referrer-policy": "no-referrer",
  "cross-origin-opener-policy": "same-origin",
  "cross-origin-resource-policy": "same-origin",
};

/** Paths that never fall back to the page. */
export function isApiPath(url: string): boolean {
  return url.startsWith("/api/") || url === "/api" || url === "/health" || url === "/ready";
}

/**
 * Registers the files and the not-found handler: a GET the router did not match outside
 * /api gets index.html (the app routes it), anything else `notFound`.
 */
export async function registerDashboard(
  app: FastifyInstance,
  notFound: (req: FastifyRequest, reply: FastifyReply) => FastifyReply,
  dir = DASHBOARD_DIR,
): Promise<void> {
  app.addHook("onSend", async (_req, reply, payload) => {
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) reply.header(name, value);
    return payload;
  });
  const built = existsSync(`${dir}index.html`);
  if (built) {
    await app.register(fastifyStatic, {
      root: dir,
      prefix: "/",
      // One route per built file, so unknown paths reach the fallback below.
      wildcard: false,
      index: "index.html",
      // Set below per file: @fastify/static's own header would say max-age=0 for everything.
      cacheControl: false,
      setHeaders: (res, path) => {
        // Vite names assets by content hash: they never change under the same name.
        if (path.includes("/assets/")) res.setHeader("cache-control", "public, max-age=31536000, immutable");
        else res.setHeader("cache-control", "no-cache");
      },
    });
  }
  app.setNotFoundHandler(async (req, reply) => {
    const path = req.url.split("?")[0] ?? req.url;
    const page =
      (req.method === "GET" || req.method === "HEAD") && !isApiPath(path) && !path.startsWith("/assets/");
    if (!page) return notFound(req, reply);
    if (!built)
      return reply
        .code(404)
        .send(
          errorBody(
            HttpOnlyCode.DashboardNotBuilt,
            "the dashboard is not built in this checkout",
            "Run `npm run build` (it builds web/ into dist/web), then restart the daemon.",
          ),
        );
    return reply.header("cache-control", "no-cache").sendFile("index.html");
  });
}
