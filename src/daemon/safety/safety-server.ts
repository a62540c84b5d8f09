import { Server, ServerCredentials } from "@grpc/grpc-js";
import type { Logger } from "pino";
import { Counter, type Registry } from "prom-client";
import { CortexError, ErrorCode } from "../../core/errors.js";
import type { SafetyPolicy } from "../../core/policy.js";
import { SafetyKernelService } from "../../gen/cortex/v1/safety.js";
import type { Component } from "../component.js";
import { makeCheckHandler } from "./check-handler.js";
import { makeExplainHandler } from "./explain-handler.js";

export interface SafetyKernelServerOptions {
  /** The parsed config/safety.yaml (rules, default_effect, default_tenant). */
  policy: SafetyPolicy;
  logger: Logger;
  /** Interface to listen on; default 127.0.0.1 (CORTEX_BIND). */
  host?: string;
  /** Default 50051 (CORTEX_SAFETY_PORT); 0 picks a free port, read it back from `port`. */
  port?: number;
  /** Where cortex_safety_checks_total is registered; omitted, the counter is kept private. */
  registry?: Registry;
  /** How long stop() waits for in-flight checks before cutting connections. */
  shutdownGraceMs?: number;
}

export const DEFAULT_SAFETY_PORT = 50051;

/** The safety kernel: serves SafetyKernel.Check and Explain over gRPC from a static policy. */
export class SafetyKernelServer implements Component {
  readonly name = "safety";
  private readonly host: string;
  private readonly logger: Logger;
  private readonly shutdownGraceMs: number;
  private readonly handler: ReturnType<typeof makeCheckHandler>;
  private readonly explain: ReturnType<typeof makeExplainHandler>;
  private requestedPort: number;
  private server: Server | undefined;
  private boundPort: number | undefined;

  constructor(opts: SafetyKernelServerOptions) {
    this.host = opts.host ?? "127.0.0.1";
    this.requestedPort = opts.port ?? DEFAULT_SAFETY_PORT;
    this.logger = opts.logger;
    this.shutdownGraceMs = opts.shutdownGraceMs ?? 2000;
    const checks = new Counter({
      name: "cortex_safety_checks_total",
      help: "Safety checks answered by the kernel, by decision (allow, deny, invalid).",
      labelNames: ["decision"] as const,
      registers: opts.registry ? [opts.registry] : [],
    });
    this.handler = makeCheckHandler({ policy: opts.policy, logger: opts.logger, checks });
    this.explain = makeExplainHandler({ policy: opts.policy, logger: opts.logger });
  }

  /** The bound port; throws before start(). */
  get port(): number {
    if (this.boundPort === undefined) {
      throw new CortexError(ErrorCode.Internal, "safety kernel is not listening: call start() first");
    }
    return this.boundPort;
  }

  /** host:port to give SafetyClient (SAFETY_KERNEL_ADDR). */
  address(): string {
    return `${formatHost(this.host)}:${this.port}`;
  }

  async start(): Promise<void> {
    if (this.server !== undefined) return;
    const server = new Server();
    server.addService(SafetyKernelService, { check: this.handler, explain: this.explain });
    const target = `${formatHost(this.host)}:${this.requestedPort}`;
    const port = await new Promise<number>((resolve, reject) => {
      // grpc-js starts serving as soon as the bind succeeds; start() is deprecated.
      server.bindAsync(target, ServerCredentials.createInsecure(), (err, bound) => {
        if (err) reject(err);
        else resolve(bound);
      });
    }).catch((err: unknown) => {
      server.forceShutdown();
      throw new CortexError(ErrorCode.Internal, `safety kernel cannot listen on ${target}`, {
        hint: "Another process may hold the port: stop it, or set CORTEX_SAFETY_PORT (and SAFETY_KERNEL_ADDR) to a free one.",
        cause: err,
        details: { host: this.host, port: this.requestedPort },
      });
    });
    // A restart reuses the port picked the first time, so clients holding the address reconnect.
    this.requestedPort = port;
    this.boundPort = port;
    this.server = server;
    this.logger.info({ address: this.address() }, "safety kernel listening");
  }

  /** Lets in-flight checks finish, then closes; cuts connections after shutdownGraceMs. */
  async stop(): Promise<void> {
    const server = this.server;
    if (server === undefined) return;
    this.server = undefined;
    this.boundPort = undefined;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.logger.warn(
          { graceMs: this.shutdownGraceMs },
          "safety kernel did not drain in time; forcing shutdown",
        );
        server.forceShutdown();
        resolve();
      }, this.shutdownGraceMs);
      server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
    this.logger.info("safety kernel stopped");
  }
}

// An IPv6 literal needs brackets in a host:port target.
const formatHost = (host: string): string =>
  host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
