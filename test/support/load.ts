/**
 * Load for fault tests: many echo jobs over unary SubmitJob, a count of finished ones while
 * they run, and the accepted / lost / duplicated / stuck tally of DESIGN.md "Tests".
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { GatewayClient } from "../../src/client/gateway-client.js";
import { isCortexError } from "../../src/core/errors.js";
import { isJobState, isTerminal } from "../../src/core/states.js";

const isFinal = (state: string): boolean => isJobState(state) && isTerminal(state);

export interface LoadOptions {
  total: number;
  inFlight: number;
  contextJson: string;
  /** Called with the SUCCEEDED count while jobs run; true stops submitting and counting. */
  onFinished: (succeeded: number) => boolean;
}

async function countSucceeded(client: GatewayClient): Promise<number> {
  let n = 0;
  let cursor = "";
  do {
    const page = await client.listJobs({ state: "SUCCEEDED", limit: 200, cursor });
    n += page.jobs.length;
    cursor = page.nextCursor;
  } while (cursor !== "");
  return n;
}

/**
 * Submits up to `total` jobs, `inFlight` at a time, until `onFinished` says stop. Returns the
 * ids the gateway answered for: the accepted jobs. A submit that gets no answer (the daemon
 * died under it) is not accepted.
 */
export async function submitWhileCounting(client: GatewayClient, opts: LoadOptions): Promise<string[]> {
  const accepted: string[] = [];
  let next = 0;
  let stopped = false;
  const submitter = async () => {
    while (!stopped && next < opts.total) {
      next++;
      try {
        accepted.push((await client.submitJob({ topic: "job.echo", contextJson: opts.contextJson })).jobId);
      } catch {
        return;
      }
    }
  };
  const monitor = async () => {
    while (!stopped) {
      const n = await countSucceeded(client).catch(() => -1);
      if (n >= 0 && opts.onFinished(n)) stopped = true;
      else await sleep(50);
    }
  };
  await Promise.all([monitor(), ...Array.from({ length: opts.inFlight }, submitter)]);
  return accepted;
}

/** Polls until every job is terminal or the bound passes; returns the ids still not terminal. */
export async function pollUntilTerminal(
  client: GatewayClient,
  ids: string[],
  boundMs: number,
): Promise<string[]> {
  const deadline = Date.now() + boundMs;
  let pending = [...ids];
  while (pending.length > 0 && Date.now() < deadline) {
    const states = await Promise.all(
      pending.map((id) =>
        client.getJob(id).then(
          (r) => r.job?.state ?? "",
          () => "",
        ),
      ),
    );
    pending = pending.filter((_, i) => !isFinal(states[i] ?? ""));
    if (pending.length > 0) await sleep(250);
  }
  return pending;
}

export interface Outcomes {
  accepted: number;
  /** Accepted, yet the store does not know the job. */
  lost: number;
  /** More than one terminal event, or a second attempt the events do not explain by a requeue. */
  duplicated: number;
  /** Terminal but not SUCCEEDED (echo jobs do not fail). */
  notSucceeded: number;
  /** In flight at the kill and put back in the queue by the restarted daemon (not a fault). */
  requeued: number;
  /** Refused at submit (FAILED, not queued), then admitted again by the client's retry of the same id. */
  readmitted: number;
}

export async function countOutcomes(client: GatewayClient, ids: string[]): Promise<Outcomes> {
  const out: Outcomes = {
    accepted: ids.length,
    lost: 0,
    duplicated: 0,
    notSucceeded: 0,
    requeued: 0,
    readmitted: 0,
  };
  for (const id of ids) {
    const r = await client.getJob(id, { includeEvents: true }).catch((err: unknown) => {
      if (isCortexError(err, "JOB_NOT_FOUND")) return undefined;
      throw err;
    });
    if (r?.job === undefined) {
      out.lost++;
      continue;
    }
    const states = r.events.filter((e) => e.kind === "state");
    // A client retry of a submit the bus refused admits the same id again (from "" once
    // more): only the last admission's life counts, and what came before must be FAILED.
    const lastAdmission = states.findLastIndex((e) => e.from === "");
    const before = states.slice(0, Math.max(0, lastAdmission)).filter((e) => isFinal(e.to));
    const terminal = states.slice(Math.max(0, lastAdmission)).filter((e) => isFinal(e.to));
    if (before.length > 0) out.readmitted++;
    // A job in flight at the kill is requeued (jobs/recovery.ts) and may run again as a new attempt.
    const requeued = states.some((e) => e.reason.startsWith("requeued"));
    if (requeued) out.requeued++;
    const earlierRan = before.some((e) => e.to !== "FAILED");
    if (terminal.length > 1 || earlierRan || (r.job.attempts > 1 && !requeued)) out.duplicated++;
    if (isFinal(r.job.state) && r.job.state !== "SUCCEEDED") out.notSucceeded++;
  }
  return out;
}
