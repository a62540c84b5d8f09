/**
 * HTTP probes for orchestrators and `cortex up`: /health says the process serves, /ready
 * says it can also reach the bus and the store (503 names what is down).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Logger } from "pino";
import type { Bus } from "../../bus/bus.js";
import type { JobStore } from "../../store/job-store.js";

export const READY_CHECK_TIMEOUT_MS = 2_000;

export interface HealthDeps {
  bus: Bus;
  store: JobStore;
  logger: Logger;
  checkTimeoutMs?: number;
}

export type CheckResult = { ok: true } | { ok: false; error: string };

async function check(probe: () => Promise<void>, timeoutMs: number): Promise<CheckResult> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([probe(), timeout]);
    return { ok: true };
  } catch (err) {
    return { ok: false, error: err instanceof Error ? err.message : String(err) };
  } finally {
    clearTimeout(timer);
  }
}

export interface DepsProbe {
  bus: CheckResult;
  store: CheckResult;
}

/** Pings the bus and the store in parallel, each bounded by the timeout. */
export async function probeDeps(deps: HealthDeps): Promise<DepsProbe> {
  const timeoutMs = deps.checkTimeoutMs ?? READY_CHECK_TIMEOUT_MS;
  const [bus, store] = await Promise.all([
    check(() => deps.bus.ping(timeoutMs), timeoutMs),
    check(() => deps.store.ping(), timeoutMs),
  ]);
  return { bus, store };
}

export async function readiness(
  deps: HealthDeps,
): Promise<{ ready: boolean; body: Record<string, unknown> }> {
  const { bus, store } = await probeDeps(deps);
  const failed = [...(bus.ok ? [] : ["bus"]), ...(store.ok ? [] : ["store"])];
  const describe = (r: CheckResult) => (r.ok ? "ok" : r.error);
  return {
    ready: failed.length === 0,
    body: {
      status: failed.length === 0 ? "ready" : "not_ready",
      failed,
      checks: { bus: describe(bus), store: describe(store) },
    },
  };
}

function sendJson(res: ServerResponse, code: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(code, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

async function route(deps: HealthDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = new URL(req.url ?? "/", "http://localhost").pathname;
  if (path !== "/health" && path !== "/ready") {
    sendJson(res, 404, { error: `no route ${path}`, routes: ["/health", "/ready"] });
    return;
  }
  if (req.method !== "GET" && req.method !== "HEAD") {
    res.setHeader("allow", "GET, HEAD");
    sendJson(res, 405, { error: `${req.method} not allowed` });
    return;
  }
  if (path === "/health") {
    sendJson(res, 200, { status: "ok" });
    return;
  }
  const { ready, body } = await readiness(deps);
  sendJson(res, ready ? 200 : 503, body);
}

/** Listens on host:port (0 = any free port) and resolves with the server and bound port. */
export async function startHealthServer(
  deps: HealthDeps,
  host: string,
  port: number,
): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    route(deps, req, res).catch((err: unknown) => {
      deps.logger.error({ err }, "health endpoint failed");
      if (!res.headersSent) sendJson(res, 500, { error: "internal error" });
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  return { server, port: (server.address() as AddressInfo).port };
}

export async function stopHealthServer(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}
