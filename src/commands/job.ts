import { Args } from "@oclif/core";
import { approvalLines } from "../cli/approval-text.js";
import { BaseCommand } from "../cli/base-command.js";
import { gatewayFromEnv } from "../cli/gateway.js";
import { jobSummaryLines, timelineLines } from "../cli/print-job.js";
import { resolveJobId } from "../cli/resolve-job-id.js";
import type { JobResult } from "../client/json-shapes.js";
import { jobDetailJson } from "../core/api-json.js";

export default class Job extends BaseCommand {
  static override summary = "Show a job: state, timeline and result";
  static override examples = ["<%= config.bin %> job 4f0c…", "<%= config.bin %> job 4f0c… --json"];
  static override args = {
    id: Args.string({
      description: "job id, a unique prefix of one, or a short id as `cortex jobs` shows it",
      required: true,
    }),
  };

  async run(): Promise<JobResult> {
    const { args } = await this.parse(Job);
    const client = await gatewayFromEnv();
    try {
      const res = await client.getJob(await resolveJobId(client, args.id), {
        includeResult: true,
        includeContext: true,
        includeEvents: true,
      });
      const job = res.job;
      const detail = jobDetailJson(res, true);
      const { result, context } = detail;
      if (!this.jsonEnabled() && job) {
        for (const l of jobSummaryLines(job)) this.log(l);
        for (const l of approvalLines(job)) this.log(l);
        this.log("timeline");
        for (const l of timelineLines(res.events, job.createdAtMs)) this.log(l);
        if (context !== undefined) this.log(`context\n${JSON.stringify(context, null, 2)}`);
        if (result !== undefined) this.log(`result\n${JSON.stringify(result, null, 2)}`);
      }
      return detail;
    } finally {
      client.close();
    }
  }
}
