/**
 * The load every fault case runs: `jobs` echo jobs over unary SubmitJob, `inFlight` at a time,
 * with the fault injected once `faultAfter` submits have been started. Submitting goes on
 * during the fault; a submit that fails is counted as rejected (the client was told).
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { GatewayClient } from "../../src/client/gateway-client.js";
import { countRunning, type FaultTally, tallyFault } from "./fault-tally.js";

export interface FaultLoadOptions {
  name: string;
  jobs?: number;
  inFlight?: number;
  /** Per-job echo context; a short sleep keeps jobs RUNNING at the fault. */
  context?: Record<string, unknown>;
  faultAfter?: number;
  /** Injects the fault and resolves once it is over (process back, server up, SIGCONT sent). */
  fault: () => Promise<void>;
  /** The fault's own submits, when it made any (a slow stream client's jobs); read after the load. */
  faultSubmits?: () => Promise<FaultSubmits>;
  recoveryBoundMs: number;
}

export interface FaultSubmits {
  accepted: string[];
  rejected: number;
}

export async function loadWithFault(client: GatewayClient, opts: FaultLoadOptions): Promise<FaultTally> {
  const jobs = opts.jobs ?? 500;
  const faultAfter = opts.faultAfter ?? Math.floor(jobs / 2);
  const contextJson = JSON.stringify(opts.context ?? { sleep_ms: 20 });
  const accepted: string[] = [];
  let rejected = 0;
  let next = 0;
  let runningAtFault = 0;
  let faultEndedAt = 0;
  let faultError: unknown;
  const injectFault = async () => {
    try {
      runningAtFault = await countRunning(client);
      await opts.fault();
    } catch (err) {
      faultError = err;
    }
    faultEndedAt = Date.now();
  };
  const submitter = async () => {
    while (next < jobs) {
      const n = next++;
      if (n === faultAfter) await injectFault();
      try {
        accepted.push((await client.submitJob({ topic: "job.echo", contextJson })).jobId);
      } catch {
        rejected++;
        await sleep(100);
      }
    }
  };
  await Promise.all(Array.from({ length: opts.inFlight ?? 16 }, submitter));
  if (faultError !== undefined) throw faultError;
  const own = await opts.faultSubmits?.();
  accepted.push(...(own?.accepted ?? []));
  rejected += own?.rejected ?? 0;
  return tallyFault(client, {
    name: opts.name,
    accepted,
    rejected,
    runningAtFault,
    faultEndedAt,
    recoveryBoundMs: opts.recoveryBoundMs,
  });
}

/** What every case asserts: nothing lost or stuck, and only jobs in flight at the fault ran twice. */
export function faultInvariants(t: FaultTally): Record<string, boolean | number> {
  return { lost: t.lost, stuck: t.stuck, runTwiceWithinRunning: t.runTwice <= t.runningAtFault };
}
