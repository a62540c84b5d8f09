/**
 * The daemon's bus and store for the chosen backend (DESIGN.md "Backends"), one or the
 * other, never mixed. Embedded needs nothing but Node: an in-process bus and a SQLite file
 * under CORTEX_HOME; it never looks for nats-server or redis-server.
 */
import type { Logger } from "pino";
import type { Bus } from "../bus/bus.js";
import { MemoryBus } from "../bus/memory-bus.js";
import type { NatsSecurityOptions } from "../bus/nats-auth.js";
import { connectNatsBus } from "../bus/nats-bus.js";
import { embeddedDbPath } from "../config/data-path.js";
import { type CortexEnv, redisTlsFiles } from "../config/index.js";
import { redactUrl } from "../core/redact-url.js";
import type { JobStore } from "../store/job-store.js";
import { createRedisStore } from "../store/redis-store.js";
import { createSqliteStore } from "../store/sqlite-store.js";

export interface Backend {
  kind: CortexEnv["CORTEX_BACKEND"];
  bus: Bus;
  store: JobStore;
  /** The embedded store's file; undefined on nats. */
  dataPath?: string;
  /** Shown as the store's address (GetStatus, logs): redacted. */
  storeUrl: string;
}

const EMBEDDED_DUPLICATE_WINDOW_MS = 30_000;

/** Connects both; on a failure closes whatever was opened and rethrows. */
export async function connectBackend(env: CortexEnv, root: Logger): Promise<Backend> {
  if (env.CORTEX_BACKEND === "embedded") {
    const dataPath = embeddedDbPath(env.CORTEX_HOME);
    const store = await createSqliteStore({
      path: dataPath,
      retentionSeconds: env.CORTEX_RETENTION_SECONDS,
      logger: root.child({ component: "store" }),
    });
    // In process a publish cannot reach the bus and lose its answer, so de-duplication only
    // has to cover racing repairs (reconciler, pool drains): seconds, not JetStream's 2 minutes.
    const bus = new MemoryBus({
      logger: root.child({ component: "bus" }),
      duplicateWindowMs: EMBEDDED_DUPLICATE_WINDOW_MS,
    });
    return { kind: "embedded", bus, store, dataPath, storeUrl: `sqlite://${dataPath}` };
  }
  const bus = await connectNatsBus({
    url: env.NATS_URL,
    ...natsSecurity(env),
    name: `cortex-${process.pid}`,
    streamReplicas: env.CORTEX_STREAM_REPLICAS,
    logger: root.child({ component: "bus" }),
  });
  try {
    await bus.provision();
    const store = await createRedisStore({
      url: env.REDIS_URL,
      ...redisTlsFiles(env),
      prefix: env.CORTEX_KEY_PREFIX,
      retentionSeconds: env.CORTEX_RETENTION_SECONDS,
      logger: root.child({ component: "store" }),
    });
    return { kind: "nats", bus, store, storeUrl: redactUrl(env.REDIS_URL) };
  } catch (err) {
    await bus.close().catch(() => undefined);
    throw err;
  }
}

/** NATS_CREDS / NATS_TLS_* as the bus takes them (unset ones left out). */
function natsSecurity(env: CortexEnv): NatsSecurityOptions {
  const sec: NatsSecurityOptions = {};
  if (env.NATS_CREDS !== undefined) sec.credsFile = env.NATS_CREDS;
  if (env.NATS_TLS_CA !== undefined) sec.tlsCaFile = env.NATS_TLS_CA;
  if (env.NATS_TLS_CERT !== undefined) sec.tlsCertFile = env.NATS_TLS_CERT;
  if (env.NATS_TLS_KEY !== undefined) sec.tlsKeyFile = env.NATS_TLS_KEY;
  return sec;
}
