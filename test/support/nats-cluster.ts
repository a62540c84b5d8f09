/**
 * A JetStream cluster of real nats-server processes for a test file (nats-server.ts's
 * launcher, one store dir each): routes to every other node, one cluster name, free ports.
 * Ready once every node sees a JetStream meta leader, so R3 streams can be placed.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { findBinary, missingServerError } from "./find-binary.js";
import { freePort } from "./free-port.js";
import { launchNatsProcess, type NatsHandle } from "./nats-server.js";

export interface NatsClusterNode extends NatsHandle {
  /** The server name (`-n`), as /jsz reports the meta leader. */
  name: string;
}

export interface NatsClusterHandle {
  nodes: NatsClusterNode[];
  /** Every node's client URL, comma-separated: what NATS_URL takes. */
  url: string;
  /** The current meta leader's name, asked of the first node that answers. */
  metaLeader(): Promise<string>;
  /** Waits until a meta leader is elected among the live nodes; ms it took. */
  waitMetaLeader(timeoutMs?: number): Promise<number>;
  stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 30_000;
const CLUSTER_NAME = "cortex-test";

interface Ports {
  port: number;
  monitorPort: number;
  clusterPort: number;
}

interface JszMeta {
  meta_cluster?: { leader?: string; cluster_size?: number };
}

async function leaderAt(monitorPort: number): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${monitorPort}/jsz`, { signal: AbortSignal.timeout(1_000) });
  if (!res.ok) return "";
  const body = (await res.json()) as JszMeta;
  return body.meta_cluster?.leader ?? "";
}

async function waitLeader(monitorPort: number, signal?: AbortSignal, timeoutMs = READY_TIMEOUT_MS) {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline && !signal?.aborted) {
    try {
      if ((await leaderAt(monitorPort)) !== "") return;
    } catch (err) {
      last = err;
    }
    await sleep(50);
  }
  throw new Error(`nats cluster node :${monitorPort} has no JetStream meta leader after ${timeoutMs} ms`, {
    cause: last,
  });
}

export async function startNatsCluster(size = 3): Promise<NatsClusterHandle> {
  const bin = findBinary("nats-server");
  if (!bin) throw missingServerError("nats-server");
  // A free port can be taken before a node binds it: try a few fresh sets.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnFreePorts(bin, size);
    } catch (err) {
      if (attempt >= 3) throw err;
    }
  }
}

async function startOnFreePorts(bin: string, size: number): Promise<NatsClusterHandle> {
  const ports: Ports[] = [];
  for (let i = 0; i < size; i++) {
    ports.push({ port: await freePort(), monitorPort: await freePort(), clusterPort: await freePort() });
  }
  const route = (p: Ports) => `nats://127.0.0.1:${p.clusterPort}`;
  // All at once: a node only becomes ready when a quorum of the others is up.
  const started = await Promise.allSettled(
    ports.map(async (p, i) => {
      const name = `n${i + 1}`;
      const routes = ports.filter((o) => o !== p).map(route);
      const extraArgs = ["-n", name, "--cluster_name", CLUSTER_NAME, "--cluster", route(p)];
      extraArgs.push("--routes", routes.join(","));
      const node = await launchNatsProcess(bin, {
        port: p.port,
        monitorPort: p.monitorPort,
        jetstream: true,
        extraArgs,
        waitReady: (monitorPort, signal) => waitLeader(monitorPort, signal),
      });
      return { ...node, name };
    }),
  );
  const nodes = started.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []));
  const failed = started.find((r) => r.status === "rejected");
  if (failed) {
    await Promise.all(nodes.map((n) => n.stop()));
    throw failed.reason;
  }
  return clusterHandle(nodes, ports);
}

function clusterHandle(nodes: NatsClusterNode[], ports: Ports[]): NatsClusterHandle {
  const metaLeader = async (): Promise<string> => {
    for (const p of ports) {
      const leader = await leaderAt(p.monitorPort).catch(() => "");
      if (leader !== "") return leader;
    }
    return "";
  };
  return {
    nodes,
    url: nodes.map((n) => n.url).join(","),
    metaLeader,
    async waitMetaLeader(timeoutMs = READY_TIMEOUT_MS) {
      const start = Date.now();
      while (Date.now() - start < timeoutMs) {
        if ((await metaLeader()) !== "") return Date.now() - start;
        await sleep(50);
      }
      throw new Error(`no JetStream meta leader after ${timeoutMs} ms`);
    },
    async stop() {
      await Promise.all(nodes.map((n) => n.stop()));
    },
  };
}
