/**
 * pools.yaml against the worker kinds: every topic of a kind that runs must be routed to
 * that kind's pool. Otherwise the scheduler dispatches to a pool nobody consumes and the job
 * waits in SCHEDULED until its timeout, with nothing in the logs saying why. Pure: the
 * caller passes the routing table and the path it was loaded from.
 */
import { CortexError, ErrorCode } from "./errors.js";
import { WORKER_KIND_ROUTES, WORKER_KINDS_FILE, type WorkerKindName } from "./worker-kinds.js";

export interface RoutingMismatch {
  kind: WorkerKindName;
  topic: string;
  /** The kind's pool (src/core/worker-kinds.ts). */
  expectedPool: string;
  /** What pools.yaml says; undefined when the topic is not listed. */
  configuredPool: string | undefined;
}

export function findRoutingMismatches(
  kinds: readonly WorkerKindName[],
  topicToPool: Readonly<Record<string, string>>,
): RoutingMismatch[] {
  const found: RoutingMismatch[] = [];
  for (const kind of new Set(kinds)) {
    const { pool, topics } = WORKER_KIND_ROUTES[kind];
    for (const topic of topics) {
      const configuredPool = Object.hasOwn(topicToPool, topic) ? topicToPool[topic] : undefined;
      if (configuredPool !== pool) found.push({ kind, topic, expectedPool: pool, configuredPool });
    }
  }
  return found;
}

function describe(m: RoutingMismatch): string {
  const now = m.configuredPool === undefined ? "does not list it" : `routes it to pool "${m.configuredPool}"`;
  return `worker kind "${m.kind}" consumes ${m.topic} in pool "${m.expectedPool}", but pools.yaml ${now}`;
}

/**
 * Throws CONFIG_INVALID naming the pools.yaml in effect, the kind and the topic, when a kind
 * about to run would never receive its jobs.
 */
export function assertWorkerRouting(
  kinds: readonly WorkerKindName[],
  topicToPool: Readonly<Record<string, string>>,
  poolsPath: string,
): void {
  const mismatches = findRoutingMismatches(kinds, topicToPool);
  const first = mismatches[0];
  if (first === undefined) return;
  const more = mismatches.length > 1 ? ` (and ${mismatches.length - 1} more)` : "";
  throw new CortexError(ErrorCode.ConfigInvalid, `${poolsPath}: ${describe(first)}${more}`, {
    hint:
      `Set "${first.topic}: ${first.expectedPool}" under topics in ${poolsPath}, or do not run ` +
      `"${first.kind}" (its pool is fixed in ${WORKER_KINDS_FILE}).`,
    details: { path: poolsPath, mismatches: mismatches.map((m) => ({ ...m, text: describe(m) })) },
  });
}

/** A user worker as the routing check sees it: where it was defined, its pool and topics. */
export interface UserWorkerRoute {
  file: string;
  pool: string;
  topics: readonly string[];
}

/**
 * Throws CONFIG_INVALID when a user worker's topic is missing from pools.yaml or routed to
 * another pool: the message names the topic, both pools, the module and the pools.yaml path.
 */
export function assertUserWorkerRouting(
  workers: readonly UserWorkerRoute[],
  topicToPool: Readonly<Record<string, string>>,
  poolsPath: string,
): void {
  for (const w of workers) {
    for (const topic of w.topics) {
      const configured = Object.hasOwn(topicToPool, topic) ? topicToPool[topic] : undefined;
      if (configured === w.pool) continue;
      const now = configured === undefined ? "does not list it" : `routes it to pool "${configured}"`;
      throw new CortexError(
        ErrorCode.ConfigInvalid,
        `${poolsPath}: the worker in ${w.file} handles ${topic} in pool "${w.pool}", but pools.yaml ${now}`,
        {
          hint: `Set "${topic}: ${w.pool}" under topics in ${poolsPath} (pools.yaml is the one routing table), or change the worker's pool.`,
          details: { path: poolsPath, file: w.file, topic, pool: w.pool, configuredPool: configured ?? null },
        },
      );
    }
  }
}
