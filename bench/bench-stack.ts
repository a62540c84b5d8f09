/**
 * The servers and daemon a bench run needs, by backend: on nats, one nats-server and one
 * redis-server shared by cortex and BullMQ; on embedded, the daemon alone, plus a
 * redis-server for BullMQ only when `--vs bullmq` asks for it.
 */
import { type NatsHandle, startNats } from "../test/support/nats-server.js";
import { type RedisHandle, startRedis } from "../test/support/redis-server.js";
import { type CortexDaemon, startCortexDaemon } from "./cortex-daemon.js";
import { findServerPid } from "./cpu.js";
import type { Backend } from "./flags.js";

export interface BenchStack {
  backend: Backend;
  daemon: CortexDaemon;
  /** cortex's bus and store servers: only on the nats backend. */
  cortexServers?: { nats: NatsHandle; redis: RedisHandle };
  /** The Redis BullMQ runs on (cortex's own on nats), when BullMQ runs. */
  bullmqRedis?: RedisHandle;
  /** Processes whose CPU counts for each side ("self" is the bench client). */
  cortexPids: Record<string, number | undefined>;
  bullmqPids: Record<string, number | undefined>;
  stop(): Promise<void>;
}

export interface StackOptions {
  backend: Backend;
  withBullmq: boolean;
  concurrency: number;
  profileDir?: string;
  splitWorkers: boolean;
}

export async function startBenchStack(o: StackOptions): Promise<BenchStack> {
  const servers: { stop(): Promise<void> }[] = [];
  try {
    let cortexServers: BenchStack["cortexServers"];
    let daemon: CortexDaemon;
    if (o.backend === "nats") {
      const [nats, redis] = await Promise.all([startNats(), startRedis()]);
      servers.push(nats, redis);
      cortexServers = { nats, redis };
      const backend = { kind: "nats", natsUrl: nats.url, redisUrl: redis.url } as const;
      daemon = await startCortexDaemon(backend, o.concurrency, o.profileDir, o.splitWorkers);
    } else {
      daemon = await startCortexDaemon({ kind: "embedded" }, o.concurrency, o.profileDir, o.splitWorkers);
    }
    let bullmqRedis = o.withBullmq ? cortexServers?.redis : undefined;
    if (o.withBullmq && bullmqRedis === undefined) {
      bullmqRedis = await startRedis();
      servers.push(bullmqRedis);
    }
    const redisPid = bullmqRedis && findServerPid("redis-server", bullmqRedis.port);
    const cortexPids = {
      self: 0,
      daemon: daemon.pid,
      ...(daemon.workerPid === undefined ? {} : { worker: daemon.workerPid }),
      ...(cortexServers && {
        nats: findServerPid("nats-server", cortexServers.nats.port),
        redis: findServerPid("redis-server", cortexServers.redis.port),
      }),
    };
    return {
      backend: o.backend,
      daemon,
      ...(cortexServers && { cortexServers }),
      ...(bullmqRedis && { bullmqRedis }),
      cortexPids,
      bullmqPids: { self: 0, redis: redisPid },
      async stop() {
        await daemon.stop();
        await Promise.all(servers.map((s) => s.stop()));
      },
    };
  } catch (err) {
    await Promise.all(servers.map((s) => s.stop().catch(() => undefined)));
    throw err;
  }
}
