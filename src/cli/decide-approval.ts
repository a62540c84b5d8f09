/** What `cortex approve` and `cortex reject` share: resolve, decide, print the job's new state. */
import type { DecideResult } from "../client/json-shapes.js";
import { decideApprovalJson } from "../core/api-json.js";
import { resolveHeldJobId } from "./approval-text.js";
import { gatewayFromEnv } from "./gateway.js";
import { describeTransition } from "./print-job.js";

export interface DecideInput {
  id: string;
  approve: boolean;
  reason: string;
  contentHash: string;
}

export async function decideAndReport(
  input: DecideInput,
  log: ((line: string) => void) | undefined,
): Promise<DecideResult> {
  const client = await gatewayFromEnv();
  try {
    const jobId = await resolveHeldJobId(client, input.id);
    const res = await client.decideApproval({
      jobId,
      approve: input.approve,
      reason: input.reason,
      contentHash: input.contentHash,
    });
    const job = res.job;
    if (log && job) {
      log(`${input.approve ? "approved" : "rejected"} ${job.jobId}`);
      log(
        `  ${describeTransition({ to: job.state, workerId: job.workerId, reason: job.reason, attempt: 0 })}`,
      );
    }
    return decideApprovalJson(res);
  } finally {
    client.close();
  }
}
