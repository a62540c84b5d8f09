import { Args, Flags } from "@oclif/core";
import { BaseCommand } from "../cli/base-command.js";
import { decideAndReport } from "../cli/decide-approval.js";
import type { DecideResult } from "../client/json-shapes.js";

export default class Approve extends BaseCommand {
  static override summary = "Approve a job held by a require_approval rule: it is scheduled and runs";
  static override examples = [
    "<%= config.bin %> approve 4f0c…",
    '<%= config.bin %> approve 4f0c… --reason "checked the diff"',
  ];
  static override args = {
    id: Args.string({ description: "job id, a unique prefix of one, or a short id", required: true }),
  };
  static override flags = {
    reason: Flags.string({ description: "why, recorded with the decision" }),
    "content-hash": Flags.string({
      description:
        "the content hash you reviewed (cortex job --json: approval.content_hash); refused if the job changed",
    }),
  };

  async run(): Promise<DecideResult> {
    const { args, flags } = await this.parse(Approve);
    return decideAndReport(
      { id: args.id, approve: true, reason: flags.reason ?? "", contentHash: flags["content-hash"] ?? "" },
      this.jsonEnabled() ? undefined : (l) => this.log(l),
    );
  }
}
