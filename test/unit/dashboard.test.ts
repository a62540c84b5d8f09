/**
 * The gateway's dashboard serving on a bare fastify app: built files with their cache and
 * security headers, index.html for the app's own paths, never for /api, and a clear 404
 * when nothing is built.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Fastify, { type FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CONTENT_SECURITY_POLICY, registerDashboard } from "../../src/daemon/gateway/http/dashboard.js";

let dir: string;
const apps: FastifyInstance[] = [];

async function app(root: string): Promise<FastifyInstance> {
  const a = Fastify();
  await registerDashboard(
    a,
    (_req, reply) => reply.code(404).send({ error: { code: "ROUTE_NOT_FOUND" } }),
    root,
  );
  a.get("/api/v1/jobs", async () => ({ jobs: [] }));
  apps.push(a);
  return a;
}

beforeAll(() => {
  dir = `${mkdtempSync(join(tmpdir(), "cortex-web-"))}/`;
  mkdirSync(join(dir, "assets"));
  writeFileSync(join(dir, "index.html"), "<!doctype html><title>cortex</title>");
  writeFileSync(join(dir, "assets", "index-abc123.js"), "console.log(1)");
});

afterAll(async () => {
  for (const a of apps) await a.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("the dashboard's files", () => {
  it("serves / and the app's paths as index.html, assets as immutable, all with the CSP", async () => {
    const a = await app(dir);
    for (const url of ["/", "/jobs", "/jobs/abc-123?x=1", "/workers"]) {
      const res = await a.inject({ method: "GET", url });
      expect(res.statusCode, url).toBe(200);
      expect(res.body).toContain("<title>cortex</title>");
      expect(res.headers["cache-control"], url).toBe("no-cache");
      expect(res.headers["content-security-policy"]).toBe(CONTENT_SECURITY_POLICY);
      expect(res.headers["x-content-type-options"]).toBe("nosniff");
      expect(res.headers["x-frame-options"]).toBe("DENY");
    }
    const asset = await a.inject({ method: "GET", url: "/assets/index-abc123.js" });
    expect(asset.statusCode).toBe(200);
    expect(asset.headers["cache-control"]).toBe("public, max-age=31536000, immutable");
    expect(asset.headers["content-type"]).toContain("javascript");
    expect(CONTENT_SECURITY_POLICY).toContain("script-src 'self'");
    expect(CONTENT_SECURITY_POLICY).not.toContain("unsafe");
  });

  it("never answers an API path, a missing asset or a non-GET with the page", async () => {
    const a = await app(dir);
    for (const [method, url] of [
      ["GET", "/api/v1/nope"],
      ["GET", "/assets/missing.js"],
      ["POST", "/jobs"],
    ] as const) {
      const res = await a.inject({ method, url });
      expect(res.statusCode, url).toBe(404);
      expect(res.json()).toEqual({ error: { code: "ROUTE_NOT_FOUND" } });
      expect(res.headers["content-security-policy"]).toBe(CONTENT_SECURITY_POLICY);
    }
    expect((await a.inject({ method: "GET", url: "/api/v1/jobs" })).json()).toEqual({ jobs: [] });
  });

  it("answers a clear 404 telling to build when dist/web is missing", async () => {
    const a = await app(join(dir, "not-there/"));
    const res = await a.inject({ method: "GET", url: "/" });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({
      error: {
        code: "DASHBOARD_NOT_BUILT",
        message: "the dashboard is not built in this checkout",
        hint: "Run `npm run build` (it builds web/ into dist/web), then restart the daemon.",
      },
    });
  });
});
