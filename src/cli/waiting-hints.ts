/**
 * What `--wait` tells a user who is left waiting: why the job has not started (the gateway's
 * waiting_reason, printed once), and on Ctrl-C that the job goes on, with how to follow or
 * cancel it.
 */
import { setTimeout as sleep } from "node:timers/promises";
import ansis from "ansis";
import type { GatewayClient } from "../client/gateway-client.js";
import type { JobInfo } from "../gen/cortex/v1/api.js";
import { shortId } from "./job-text.js";

/** First look, then every few seconds while the job has not reached a worker. */
const WAITING_FIRST_CHECK_MS = 500;
const WAITING_CHECK_MS = 2_000;

/** A held job's line when the gateway gave no waiting_reason of its own. */
export function approvalWaitingText(job: JobInfo): string {
  const id = shortId(job.jobId);
  return `waiting for approval (rule ${job.approval?.ruleId || "(default)"}): \`cortex approve ${id}\` or \`cortex reject ${id} --reason …\``;
}

/**
 * Prints the gateway's waiting_reason once, when it appears (held for approval, no live
 * worker in the pool); stops when printed, when the job reaches a worker, or when the follow ends.
 */
export function explainWaiting(
  client: GatewayClient,
  jobId: string,
  print: (why: string) => void,
): { stop(): Promise<void> } {
  const stopped = new AbortController();
  const loop = (async () => {
    let delay = WAITING_FIRST_CHECK_MS;
    let heldSaid = false;
    while (!stopped.signal.aborted) {
      await sleep(delay, undefined, { signal: stopped.signal }).catch(() => undefined);
      if (stopped.signal.aborted) return;
      delay = WAITING_CHECK_MS;
      const job = await client.getJob(jobId).then(
        (r) => r.job,
        () => undefined,
      );
      if (job?.state === "AWAITING_APPROVAL") {
        // Once; after the decision the job may still wait for a worker, which is said then.
        if (!heldSaid) print(job.waitingReason || approvalWaitingText(job));
        heldSaid = true;
        continue;
      }
      if (job?.waitingReason) {
        print(job.waitingReason);
        return;
      }
      if (job !== undefined && !["PENDING", "SCHEDULED"].includes(job.state)) return;
    }
  })();
  return {
    async stop() {
      stopped.abort();
      await loop;
    },
  };
}

/** Ctrl-C stops following, not the job: say so, and how to follow or cancel it (exit 130). */
export function onInterrupt(
  jobId: () => string,
  stderr: NodeJS.WritableStream,
  before?: () => void,
): () => void {
  const handler = () => {
    before?.();
    // Before the gateway answered the submit there is no id yet: the job may or may not exist.
    const id = jobId() === "" ? "<id>" : shortId(jobId());
    stderr.write(
      `\n${ansis.yellow(`stopped following; job ${id} keeps running.`)}\n` +
        `Follow it with \`cortex job ${id}\` or \`cortex watch\`; cancel it with \`cortex cancel ${id}\`.\n`,
    );
    process.exit(INTERRUPTED_EXIT_CODE);
  };
  process.once("SIGINT", handler);
  return () => process.off("SIGINT", handler);
}

/** 128 + SIGINT, what shells report for a command stopped by Ctrl-C. */
const INTERRUPTED_EXIT_CODE = 130;
