import { Flags } from "@oclif/core";
import { BaseCommand } from "../../cli/base-command.js";
import { DEAD_LETTER_HEADERS, deadLetterRow } from "../../cli/dead-letter-text.js";
import { gatewayFromEnv } from "../../cli/gateway.js";
import { renderTable } from "../../cli/table.js";
import type { DlqListResult } from "../../client/json-shapes.js";
import { deadLettersPageJson } from "../../core/api-json.js";

export default class DlqList extends BaseCommand {
  static override summary = "List submits that could never be admitted (dead letters), newest first";
  static override examples = ["<%= config.bin %> dlq list", "<%= config.bin %> dlq list --limit 100 --json"];
  static override flags = {
    limit: Flags.integer({ description: "how many letters", default: 20, min: 1, max: 1000 }),
    cursor: Flags.string({ description: "continue a listing from its next_cursor" }),
  };

  async run(): Promise<DlqListResult> {
    const { flags } = await this.parse(DlqList);
    const client = await gatewayFromEnv();
    try {
      const res = await client.listDeadLetters({ limit: flags.limit, cursor: flags.cursor ?? "" });
      if (!this.jsonEnabled()) {
        const now = Date.now();
        this.log(
          res.letters.length === 0
            ? "no dead letters"
            : renderTable(
                DEAD_LETTER_HEADERS,
                res.letters.map((l) => deadLetterRow(l, now)),
              ),
        );
        if (res.nextCursor)
          this.log(`more: cortex dlq list --limit ${flags.limit} --cursor ${res.nextCursor}`);
        if (res.letters.length > 0) this.log("Re-submit one with: cortex dlq retry <id>");
      }
      return deadLettersPageJson(res);
    } finally {
      client.close();
    }
  }
}
