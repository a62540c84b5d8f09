/**
 * Why a job that has not reached a worker waits, in words a user can act on. Pure: the
 * gateway passes what it knows (pool routing, worker liveness, backend) and every surface
 * (CLI, HTTP, dashboard) shows the same text from JobInfo.waiting_reason.
 */
import { WORKER_KIND_ROUTES } from "./worker-kinds.js";

export interface WaitingFacts {
  state: string;
  topic: string;
  /** The pool pools.yaml routes the topic to; undefined when none does. */
  pool: string | undefined;
  /** A worker of that pool is live. */
  live: boolean;
  /** "embedded" runs its workers inside the daemon; "nats" takes workers from anywhere. */
  backend: string;
}

/** States in which a job waits for a worker to take it. */
const WAITING_STATES: ReadonlySet<string> = new Set(["PENDING", "SCHEDULED"]);

/** The worker kind serving `topic`, when it is one of cortex's own. */
export function workerKindFor(topic: string): string | undefined {
  for (const [kind, route] of Object.entries(WORKER_KIND_ROUTES)) {
    if ((route.topics as readonly string[]).includes(topic)) return kind;
  }
  return undefined;
}

/** "" when the job is not waiting on a worker (or one is live). */
export function waitingReason(f: WaitingFacts): string {
  if (!WAITING_STATES.has(f.state) || f.live || f.pool === undefined) return "";
  const head = `no live worker in pool ${f.pool}`;
  const kind = workerKindFor(f.topic);
  if (kind === undefined) {
    // A user pool: its worker is a handler module (worker SDK), not a built-in kind.
    const where =
      f.backend === "embedded"
        ? "load its module into the daemon: `cortex down && cortex up --worker <module>` (or `workers:` in pools.yaml)"
        : "start one with `cortex worker start <module>`";
    return `${head} — ${where}, a module whose defineWorker has pool "${f.pool}"`;
  }
  if (f.backend === "embedded") {
    // `worker start` needs the nats backend: the embedded daemon runs every worker itself.
    return `${head} — the embedded daemon runs the workers of the pools in pools.yaml itself: check \`cortex ps\`, or restart the stack with \`cortex down && cortex up\``;
  }
  return `${head} — start one with \`cortex worker start ${kind}\``;
}
