/**
 * The one tally of the fault suite (issue 14): for the ids a case submitted, how many were
 * accepted, refused at submit, lost, run twice and stuck, and how long recovery took. Each case
 * prints one line and appends a row to the table that test/faults/table-setup.ts prints.
 */
import { appendFileSync } from "node:fs";
import { inject } from "vitest";
import type { GatewayClient } from "../../src/client/gateway-client.js";
import { isCortexError } from "../../src/core/errors.js";
import { isJobState, isTerminal } from "../../src/core/states.js";
import { pollUntilTerminal } from "./load.js";

const isFinal = (state: string): boolean => isJobState(state) && isTerminal(state);

export interface FaultRun {
  /** e.g. "kill-worker". */
  name: string;
  accepted: readonly string[];
  /** Submits refused or timed out (the client was told, so not lost). */
  rejected: number;
  /** Jobs RUNNING or DISPATCHED right before the fault: the only ones allowed to run twice. */
  runningAtFault: number;
  /** Date.now() when the fault ended (the process or server is back, or SIGCONT sent). */
  faultEndedAt: number;
  /** How long after the fault's end every accepted job must be terminal. */
  recoveryBoundMs: number;
}

export interface FaultTally {
  accepted: number;
  rejected: number;
  /** Accepted, yet unknown to the store or ended other than SUCCEEDED (echo jobs do not fail). */
  lost: number;
  /** More than one attempt or more than one RUNNING event. */
  runTwice: number;
  runningAtFault: number;
  /** Not terminal within the recovery bound. */
  stuck: number;
  /** From the fault's end until the first job admitted after it is terminal: work flows again. */
  recoveredMs: number;
  /** From the fault's end to the last terminal event. */
  allDoneMs: number;
}

/** How many jobs the gateway lists in any of `states` (paged). */
export async function countInStates(client: GatewayClient, states: readonly string[]): Promise<number> {
  let n = 0;
  for (const state of states) {
    let cursor = "";
    do {
      const page = await client.listJobs({ state, limit: 200, cursor });
      n += page.jobs.length;
      cursor = page.nextCursor;
    } while (cursor !== "");
  }
  return n;
}

/** Read right before a fault: what may legitimately run again after it. */
export const countRunning = (client: GatewayClient): Promise<number> =>
  countInStates(client, ["RUNNING", "DISPATCHED"]).catch(() => 0);

export async function tallyFault(client: GatewayClient, run: FaultRun): Promise<FaultTally> {
  const stuck = await pollUntilTerminal(client, [...run.accepted], run.recoveryBoundMs);
  let lost = 0;
  let runTwice = 0;
  let firstAfter = Number.POSITIVE_INFINITY;
  let last = run.faultEndedAt;
  for (const id of run.accepted) {
    const r = await client.getJob(id, { includeEvents: true }).catch((err: unknown) => {
      if (isCortexError(err, "JOB_NOT_FOUND")) return undefined;
      throw err;
    });
    const job = r?.job;
    if (job === undefined) {
      lost++;
      continue;
    }
    if (isFinal(job.state) && job.state !== "SUCCEEDED") lost++;
    const states = r?.events.filter((e) => e.kind === "state") ?? [];
    if (job.attempts > 1 || states.filter((e) => e.to === "RUNNING").length > 1) {
      runTwice++;
      // FAULT_DEBUG=1 shows why: each state change with its time relative to the fault's end.
      if (process.env.FAULT_DEBUG && runTwice <= 3) {
        const timeline = states.map((e) => [e.to, e.attempt, e.atMs - run.faultEndedAt, e.reason]);
        console.log(`run twice ${id}: ${JSON.stringify(timeline)}`);
      }
    }
    // Work flows again once a job admitted after the fault ends: jobs already running at it
    // may finish at once and would say nothing about recovery.
    const admittedAfter = (states[0]?.atMs ?? 0) >= run.faultEndedAt;
    for (const e of states) {
      if (!isFinal(e.to) || e.atMs < run.faultEndedAt) continue;
      if (admittedAfter) firstAfter = Math.min(firstAfter, e.atMs);
      last = Math.max(last, e.atMs);
    }
  }
  const tally: FaultTally = {
    accepted: run.accepted.length,
    rejected: run.rejected,
    lost,
    runTwice,
    runningAtFault: run.runningAtFault,
    stuck: stuck.length,
    recoveredMs: Number.isFinite(firstAfter) ? firstAfter - run.faultEndedAt : 0,
    allDoneMs: last - run.faultEndedAt,
  };
  report(run.name, tally);
  return tally;
}

function report(name: string, t: FaultTally): void {
  const secs = (t.recoveredMs / 1000).toFixed(1);
  const all = (t.allDoneMs / 1000).toFixed(1);
  console.log(
    `fault ${name}: accepted ${t.accepted}, rejected ${t.rejected}, lost ${t.lost}, run twice ${t.runTwice} (running at fault ${t.runningAtFault}), stuck ${t.stuck}, recovered in ${secs} s (all done in ${all} s)`,
  );
  const file = inject("faultTableFile");
  if (file) {
    const row = [
      name,
      t.accepted,
      t.rejected,
      t.lost,
      `${t.runTwice} (${t.runningAtFault})`,
      t.stuck,
      `${secs} s`,
      `${all} s`,
    ];
    appendFileSync(file, `| ${row.join(" | ")} |\n`);
  }
}

declare module "vitest" {
  export interface ProvidedContext {
    /** Set by test/faults/table-setup.ts; absent outside the faults project. */
    faultTableFile?: string;
  }
}
