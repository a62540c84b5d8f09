/** Serves a prom-client Registry as Prometheus text on GET /metrics. */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Registry } from "prom-client";
import { CortexError, ErrorCode } from "../core/errors.js";

export interface MetricsServerOptions {
  registry: Registry;
  /** Default 127.0.0.1: metrics are not for the open network unless asked. */
  host?: string;
  /** 0 picks a free port. */
  port: number;
  /** The variable that sets the port, named in the error when it is taken. */
  portEnvVar?: string;
}

export interface MetricsServer {
  /** The port actually bound. */
  port: number;
  close(): Promise<void>;
}

export async function startMetricsServer(opts: MetricsServerOptions): Promise<MetricsServer> {
  const { registry } = opts;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? "/").split("?")[0];
    if (path !== "/metrics") {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found; metrics are at /metrics\n");
      return;
    }
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { allow: "GET, HEAD" }).end();
      return;
    }
    registry.metrics().then(
      (text) => {
        res.writeHead(200, { "content-type": registry.contentType });
        res.end(req.method === "HEAD" ? undefined : text);
      },
      (err: unknown) => {
        res
          .writeHead(500, { "content-type": "text/plain" })
          .end(`could not collect metrics: ${String(err)}\n`);
      },
    );
  });

  const host = opts.host ?? "127.0.0.1";
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port, host, () => {
      server.off("error", reject);
      resolve();
    });
  }).catch((err: unknown) => {
    throw new CortexError(ErrorCode.Internal, `metrics server cannot listen on ${host}:${opts.port}`, {
      hint: `Another process may hold the port: stop it, or set ${opts.portEnvVar ?? "its *_METRICS_PORT variable"} to a free one.`,
      cause: err,
      details: { host, port: opts.port },
    });
  });

  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        // Scrapers keep connections alive; do not wait for them to hang up.
        server.closeAllConnections();
      }),
  };
}
