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
  /** A job held for approval: its id as the caller names it, the rule and the expiry. */
  held?: HeldFacts | undefined;
}

export interface HeldFacts {
  jobId: string;
  ruleId: string;
  expiresAt: number;
  now: number;
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

/** "" when the job is not waiting on a worker (or one is live) nor on a human. */
export function waitingReason(f: WaitingFacts): string {
  if (f.state === "AWAITING_APPROVAL") return f.held ? approvalWaitingReason(f.held) : "";
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

/** What a held job waits for and how to decide it. */
export function approvalWaitingReason(h: HeldFacts): string {
  const left = h.expiresAt - h.now;
  const expiry =
    left > 0 ? `expires in ${roughDuration(left)}` : "expired; denied at the next reconciler scan";
  return (
    `waiting for approval (rule ${h.ruleId || "(default)"}) — cortex approve ${h.jobId} or ` +
    `cortex reject ${h.jobId} --reason …; ${expiry}`
  );
}

/** Two units at most ("23h 59m", "4m 10s"): enough to know how long is left. */
function roughDuration(ms: number): string {
  const s = Math.max(1, Math.floor(ms / 1_000));
  const d = Math.floor(s / 86_400);
  const h = Math.floor((s % 86_400) / 3_600);
  const m = Math.floor((s % 3_600) / 60);
  const sec = s % 60;
  if (d > 0) return h > 0 ? `${d}d ${h}h` : `${d}d`;
  if (h > 0) return m > 0 ? `${h}h ${m}m` : `${h}h`;
  if (m > 0) return sec > 0 ? `${m}m ${sec}s` : `${m}m`;
  return `${sec}s`;
}
