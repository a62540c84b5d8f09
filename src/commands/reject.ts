import { Args, Flags } from "@oclif/core";
import { BaseCommand } from "../cli/base-command.js";
import { decideAndReport } from "../cli/decide-approval.js";
import type { DecideResult } from "../client/json-shapes.js";

export default class Reject extends BaseCommand {
  static override summary = "Reject a job held by a require_approval rule: it ends DENIED with your reason";
  static override examples = ['<%= config.bin %> reject 4f0c… --reason "not during the freeze"'];
  static override args = {
    id: Args.string({ description: "job id, a unique prefix of one, or a short id", required: true }),
  };
  static override flags = {
    reason: Flags.string({ description: "why (required), recorded as the job's reason", required: true }),
    "content-hash": Flags.string({
      description: "the content hash you reviewed (cortex job --json: approval.content_hash)",
    }),
  };

  async run(): Promise<DecideResult> {
    const { args, flags } = await this.parse(Reject);
    return decideAndReport(
      { id: args.id, approve: false, reason: flags.reason, contentHash: flags["content-hash"] ?? "" },
      this.jsonEnabled() ? undefined : (l) => this.log(l),
    );
  }
}
