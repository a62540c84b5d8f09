import { Flags } from "@oclif/core";
import { APPROVALS_HEADERS, approvalRow, NO_APPROVALS_TEXT } from "../cli/approval-text.js";
import { BaseCommand } from "../cli/base-command.js";
import { gatewayFromEnv } from "../cli/gateway.js";
import { renderTable } from "../cli/table.js";
import type { ApprovalsResult } from "../client/json-shapes.js";
import { approvalsPageJson } from "../core/api-json.js";
import type { JobInfo } from "../gen/cortex/v1/api.js";

export default class Approvals extends BaseCommand {
  static override summary = "List jobs held for a human decision by a require_approval rule, oldest first";
  static override examples = [
    "<%= config.bin %> approvals",
    "<%= config.bin %> approvals --tenant acme --json",
  ];
  static override flags = {
    tenant: Flags.string({ description: "only jobs of this tenant" }),
    limit: Flags.integer({ description: "how many jobs", default: 50, min: 1, max: 1000 }),
    cursor: Flags.string({ description: "continue a listing from its next_cursor" }),
  };

  async run(): Promise<ApprovalsResult> {
    const { flags } = await this.parse(Approvals);
    const client = await gatewayFromEnv();
    try {
      const res = await client.listApprovals({
        tenant: flags.tenant ?? "",
        limit: flags.limit,
        cursor: flags.cursor ?? "",
      });
      if (!this.jsonEnabled()) {
        const jobs = res.approvals.map((a) => a.job).filter((j): j is JobInfo => j !== undefined);
        const now = Date.now();
        this.log(
          jobs.length === 0
            ? NO_APPROVALS_TEXT
            : renderTable(
                APPROVALS_HEADERS,
                jobs.map((j) => approvalRow(j, now)),
              ),
        );
        if (res.nextCursor) this.log(`more: cortex approvals --cursor ${res.nextCursor}`);
        if (jobs.length > 0)
          this.log("Decide with: cortex approve <id> [--reason …] or cortex reject <id> --reason …");
      }
      return approvalsPageJson(res);
    } finally {
      client.close();
    }
  }
}
