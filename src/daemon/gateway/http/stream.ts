/**
 * WebSocket /api/v1/stream: the WatchEvents stream as JSON text messages, one event per
 * message, with the WatchEvents filters as query parameters. The request is checked
 * before the upgrade, so a bad filter or an unknown job is a plain HTTP 400/404.
 *
 * A client that stops reading must not grow the daemon's memory: the socket's send buffer
 * counts as full past HIGH_WATER_BYTES, the session's bounded queue then takes over, and
 * what does not fit is counted into one "dropped" event delivered when the client reads
 * again (the same EventWatcher as gRPC).
 */
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { Logger } from "pino";
import { WebSocket } from "ws";
import type { WatchEventsRequest } from "../../../gen/cortex/v1/api.js";
import type { GatewayMetrics } from "../../metrics/gateway-metrics.js";
import type { Principal } from "../auth.js";
import { checkWatch, scopeWatch, startWatch, type WatchDeps } from "../watch-session.js";
import { errorBody, HttpOnlyCode, toHttpError } from "./errors.js";
import { eventJson } from "./json.js";
import { streamRequest } from "./params.js";
import { Routes } from "./routes.js";

/** Bytes a socket may hold unsent before the session stops writing to it. */
export const HIGH_WATER_BYTES = 128 * 1024;
/** A socket that misses a ping for this long is dead (pings answer even when idle). */
export const PING_INTERVAL_MS = 30_000;

export interface StreamDeps extends WatchDeps {
  logger: Logger;
  metrics: GatewayMetrics | undefined;
  bodyLimit: number;
  principalOf(req: FastifyRequest): Principal;
}

/** Writes with a bound on what the socket buffers; resumes once the buffer has drained. */
class SocketSink {
  private waiters: (() => void)[] = [];

  constructor(private readonly socket: WebSocket) {}

  /** false = the buffer is past the high-water mark. */
  write(text: string): boolean {
    if (this.socket.readyState !== WebSocket.OPEN) return true;
    this.socket.send(text, (err) => {
      if (!err) this.sent();
    });
    return this.socket.bufferedAmount < HIGH_WATER_BYTES;
  }

  onDrain(listener: () => void): void {
    this.waiters.push(listener);
  }

  // A send callback means its bytes reached the kernel; ws has no 'drain' event of its own.
  private sent(): void {
    if (this.waiters.length === 0 || this.socket.bufferedAmount >= HIGH_WATER_BYTES / 2) return;
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}

export interface StreamRegistry {
  /** Open stream sockets. */
  sockets: Set<WebSocket>;
}

export function registerStream(app: FastifyInstance, deps: StreamDeps, open: StreamRegistry): void {
  const checked = new WeakMap<FastifyRequest, WatchEventsRequest>();
  const pinger = setInterval(() => {
    for (const socket of open.sockets) {
      const s = socket as WebSocket & { alive?: boolean };
      if (s.alive === false) s.terminate();
      else {
        s.alive = false;
        s.ping();
      }
    }
  }, PING_INTERVAL_MS);
  pinger.unref();
  app.addHook("onClose", async () => clearInterval(pinger));

  app.route({
    method: "GET",
    url: Routes.stream,
    preHandler: async (req) => {
      const principal = deps.principalOf(req);
      const watch = scopeWatch(streamRequest(req.query), principal);
      await checkWatch(deps.store, watch, principal);
      checked.set(req, watch);
    },
    handler: async (_req, reply) =>
      reply
        .code(426)
        .header("upgrade", "websocket")
        .send(
          errorBody(
            HttpOnlyCode.UpgradeRequired,
            `${Routes.stream} is a WebSocket`,
            "Connect with a WebSocket client (ws://host:port/api/v1/stream?...).",
          ),
        ),
    wsHandler: (socket, req) => {
      // Counted, not timed: a stream's lifetime is not a request latency.
      deps.metrics?.observeHttp("GET", Routes.stream, 101);
      const watch = checked.get(req) ?? streamRequest(req.query);
      const sink = new SocketSink(socket);
      const s = socket as WebSocket & { alive?: boolean };
      s.alive = true;
      socket.on("pong", () => {
        s.alive = true;
      });
      // Clients have nothing to say; a message is ignored, a large one closes the socket (maxPayload).
      socket.on("message", () => undefined);
      open.sockets.add(socket);
      const session = startWatch(
        { ...deps, onDropped: () => deps.metrics?.droppedEvent("websocket") },
        watch,
        deps.principalOf(req),
        {
          write: (ev) => sink.write(JSON.stringify(eventJson(ev))),
          onDrain: (listener) => sink.onDrain(listener),
          ready: () => undefined,
          end: () => socket.close(1000, "job finished"),
          fail: (err) => {
            const { status, body } = toHttpError(err, deps.bodyLimit);
            if (status >= 500) deps.logger.error({ err }, "event stream failed");
            if (socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(body));
            socket.close(status >= 500 ? 1011 : 1008, body.error.code);
          },
        },
      );
      socket.on("close", () => {
        session.close();
        open.sockets.delete(socket);
      });
    },
  });
}
