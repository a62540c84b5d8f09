/**
 * The gateway's HTTP side (CORTEX_HTTP_PORT, 8081): /health and /ready probes, the REST
 * API under /api/v1 and the WebSocket event stream, on fastify. Authentication, metrics
 * and error answers are hooks here, so every route gets them the same way.
 */
import websocket from "@fastify/websocket";
import Fastify, { type FastifyInstance, type FastifyRequest } from "fastify";
import type { WebSocket } from "ws";
import { errFields } from "../../../core/clip.js";
import type { WorkerRegistry } from "../../../core/worker-registry.js";
import type { GetStatusResponse } from "../../../gen/cortex/v1/api.js";
import type { LlmHealth } from "../../../llm/index.js";
import type { GatewayMetrics } from "../../metrics/gateway-metrics.js";
import type { ApiKeys, Principal } from "../auth.js";
import type { EventHub } from "../event-watch.js";
import type { QueryDeps } from "../job-queries.js";
import type { SubmitLimits } from "../submit-job.js";
import { isApiPath, registerDashboard } from "./dashboard.js";
import { routeNotFound, toHttpError } from "./errors.js";
import { registerJsonBody } from "./json-body.js";
import { registerModelsRoute } from "./models-route.js";
import { OPEN_ROUTES, Routes, registerRoutes } from "./routes.js";
import { registerStream } from "./stream.js";

/** JSON framing around the largest accepted prompt + context. */
const BODY_OVERHEAD_BYTES = 64 * 1024;
/** Clients send nothing on the stream; anything large is not a cortex client. */
const MAX_CLIENT_MESSAGE_BYTES = 4 * 1024;

export interface HttpApiDeps extends QueryDeps {
  limits: SubmitLimits;
  keys: ApiKeys;
  hub: EventHub;
  registry: WorkerRegistry;
  poolTopics: Readonly<Record<string, string>>;
  watchBufferSize: number;
  metrics: GatewayMetrics | undefined;
  /** The gRPC GetStatus answer (GET /api/v1/status). */
  status(): Promise<GetStatusResponse>;
  /** Ollama's models through the LLM client (GET /api/v1/models); absent = none configured. */
  llmHealth?: () => Promise<LlmHealth>;
}

export interface HttpApi {
  port: number;
  /** Open WebSocket streams. */
  streams(): number;
  /** The most any stream socket holds unsent, in bytes (bounded near HIGH_WATER_BYTES). */
  maxBufferedBytes(): number;
  close(): Promise<void>;
}

function apiKeyOf(req: FastifyRequest, route: string): string | undefined {
  const header = req.headers["x-api-key"];
  if (typeof header === "string") return header;
  // Browsers cannot set headers on a WebSocket, hence the query parameter there (only).
  if (route === Routes.stream) {
    const q = (req.query ?? {}) as Record<string, unknown>;
    if (typeof q.api_key === "string") return q.api_key;
  }
  return undefined;
}

export async function startHttpApi(deps: HttpApiDeps, host: string, port: number): Promise<HttpApi> {
  const bodyLimit = deps.limits.maxContextBytes + BODY_OVERHEAD_BYTES;
  const principals = new WeakMap<FastifyRequest, Principal>();
  const principalOf = (req: FastifyRequest): Principal => {
    const p = principals.get(req);
    // The onRequest hook sets it for every route but the probes; reaching here without it is a bug.
    if (p === undefined) throw new Error(`no caller recorded for ${req.method} ${req.routeOptions.url}`);
    return p;
  };
  const logger = deps.logger;
  const sockets = new Set<WebSocket>();

  // fastify's own logger stays off: it would log URLs, and the stream's carry ?api_key=.
  const app: FastifyInstance = Fastify({
    logger: false,
    bodyLimit,
    // Job ids may be 128 characters, trace ids 32; fastify's default stops at 100.
    routerOptions: { maxParamLength: 256 },
    forceCloseConnections: true,
    return503OnClosing: true,
  });
  // JSON only: fastify's text/plain parser would turn a mistyped body into a confusing 400.
  app.removeContentTypeParser("text/plain");
  registerJsonBody(app);
  await app.register(websocket, {
    options: { maxPayload: MAX_CLIENT_MESSAGE_BYTES },
    errorHandler: (err, socket) => {
      logger.debug({ err }, "event stream socket error");
      socket.terminate();
    },
  });

  app.addHook("onRequest", async (req) => {
    const route = req.routeOptions.url;
    // Unknown routes answer 404 either way; the probes stay open for orchestrators, and the
    // dashboard's files for browsers (the page asks for a key when the API answers 401).
    if (route === undefined || OPEN_ROUTES.has(route) || !isApiPath(route)) return;
    const transport = route === Routes.stream ? "websocket" : "http";
    principals.set(req, deps.keys.authenticate(apiKeyOf(req, route), transport));
  });

  app.addHook("onResponse", async (req, reply) => {
    deps.metrics?.observeHttp(
      req.method,
      req.routeOptions.url ?? "unmatched",
      reply.statusCode,
      reply.elapsedTime / 1000,
    );
  });

  app.setErrorHandler(async (err, req, reply) => {
    const { status, body } = toHttpError(err, bodyLimit);
    const route = req.routeOptions.url ?? "unmatched";
    if (status === 503)
      logger.warn(
        { ...errFields(err), method: req.method, route },
        "HTTP API call failed: dependency unavailable",
      );
    else if (status >= 500) logger.error({ err, method: req.method, route }, "HTTP API call failed");
    else logger.debug({ code: body.error.code, method: req.method, route }, "HTTP API call rejected");
    return reply.code(status).send(body);
  });

  await registerDashboard(app, (req, reply) => {
    const { status, body } = routeNotFound(req.method, req.url);
    return reply.code(status).send(body);
  });

  registerRoutes(app, { ...deps, principalOf, keysEnabled: deps.keys.enabled });
  registerModelsRoute(app, deps.llmHealth);
  registerStream(app, { ...deps, bodyLimit, principalOf }, { sockets });

  try {
    await app.listen({ host, port });
  } catch (err) {
    await app.close().catch(() => undefined);
    throw err;
  }
  const address = app.server.address();
  const bound = typeof address === "object" && address !== null ? address.port : port;
  return {
    port: bound,
    streams: () => sockets.size,
    maxBufferedBytes: () => {
      let max = 0;
      for (const s of sockets) max = Math.max(max, s.bufferedAmount);
      return max;
    },
    close: () => app.close(),
  };
}
