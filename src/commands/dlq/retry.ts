import { Args } from "@oclif/core";
import { BaseCommand } from "../../cli/base-command.js";
import { gatewayFromEnv } from "../../cli/gateway.js";
import type { DlqRetryResult } from "../../client/json-shapes.js";

export default class DlqRetry extends BaseCommand {
  static override summary = "Re-submit a dead letter's original request (refused if it is still invalid)";
  static override examples = ["<%= config.bin %> dlq retry dl-0mif3k2a1-1a2b3c4d"];
  static override args = {
    id: Args.string({ description: "dead-letter id (cortex dlq list)", required: true }),
  };

  async run(): Promise<DlqRetryResult> {
    const { args } = await this.parse(DlqRetry);
    const client = await gatewayFromEnv();
    try {
      const res = await client.retryDeadLetter(args.id);
      if (!this.jsonEnabled()) this.log(`submitted ${res.jobId} (trace ${res.traceId})`);
      return { id: args.id, job_id: res.jobId, trace_id: res.traceId };
    } finally {
      client.close();
    }
  }
}
