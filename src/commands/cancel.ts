import { Args, Flags } from "@oclif/core";
import { BaseCommand } from "../cli/base-command.js";
import { gatewayFromEnv } from "../cli/gateway.js";
import { resolveJobId } from "../cli/resolve-job-id.js";
import { colourState } from "../cli/state-colour.js";
import type { CancelResult } from "../client/json-shapes.js";

export default class Cancel extends BaseCommand {
  static override summary = "Cancel a job that has not finished (a running job's worker is told to stop)";
  static override args = {
    id: Args.string({
      description: "job id, a unique prefix of one, or a short id as `cortex jobs` shows it",
      required: true,
    }),
  };
  static override flags = {
    reason: Flags.string({ description: "why, recorded on the job", default: "cancelled by user" }),
  };

  async run(): Promise<CancelResult> {
    const { args, flags } = await this.parse(Cancel);
    const client = await gatewayFromEnv();
    try {
      const res = await client.cancelJob(await resolveJobId(client, args.id), flags.reason);
      if (!this.jsonEnabled()) {
        this.log(
          res.cancelled
            ? `cancelled ${res.jobId}`
            : `not cancelled: ${res.jobId} is already ${colourState(res.state)}`,
        );
      }
      return { job_id: res.jobId, state: res.state, cancelled: res.cancelled };
    } finally {
      client.close();
    }
  }
}
