import { Flags } from "@oclif/core";
import ansis from "ansis";
import { BaseCommand } from "../cli/base-command.js";
import { gatewayEnv } from "../cli/gateway.js";
import { formatAge, formatDuration, jobAgeMs, jobDurationMs, shortId, stateTone } from "../cli/job-text.js";
import { renderTable } from "../cli/table.js";
import { createGatewayClient } from "../client/gateway-client.js";
import type { JobsResult } from "../client/json-shapes.js";
import { jobsPageJson } from "../core/api-json.js";
import type { JobInfo } from "../gen/cortex/v1/api.js";

export default class Jobs extends BaseCommand {
  static override summary = "List recent jobs, newest first";
  static override examples = [
    "<%= config.bin %> jobs",
    "<%= config.bin %> jobs --state RUNNING",
    "<%= config.bin %> jobs --topic job.echo --limit 50 --json",
  ];
  static override flags = {
    state: Flags.string({ description: "only jobs in this state (PENDING, RUNNING, FAILED, …)" }),
    topic: Flags.string({ description: "only jobs of this topic" }),
    tenant: Flags.string({ description: "only jobs of this tenant" }),
    limit: Flags.integer({ description: "how many jobs", default: 20, min: 1, max: 1000 }),
    cursor: Flags.string({ description: "continue a listing from its next_cursor" }),
    gateway: Flags.string({ description: "gateway address host:port (default $CORTEX_GATEWAY_ADDR)" }),
  };

  async run(): Promise<JobsResult> {
    const { flags } = await this.parse(Jobs);
    const env = await gatewayEnv();
    const client = createGatewayClient({
      address: flags.gateway ?? env.CORTEX_GATEWAY_ADDR,
      ...(env.CORTEX_API_KEY ? { apiKey: env.CORTEX_API_KEY } : {}),
      timeoutMs: 5_000,
    });
    try {
      const res = await client.listJobs({
        state: flags.state ?? "",
        topic: flags.topic ?? "",
        tenant: flags.tenant ?? "",
        limit: flags.limit,
        cursor: flags.cursor ?? "",
      });
      const jobs = [...res.jobs].sort((a, b) => b.createdAtMs - a.createdAtMs);
      if (!this.jsonEnabled())
        this.print(jobs, res.nextCursor ? this.nextCommand(flags, res.nextCursor) : "");
      return jobsPageJson({ jobs, nextCursor: res.nextCursor });
    } finally {
      client.close();
    }
  }

  private nextCommand(flags: Record<string, unknown>, cursor: string): string {
    const args = ["state", "topic", "tenant", "limit", "gateway"]
      .filter((k) => flags[k] !== undefined && !(k === "limit" && flags[k] === 20))
      .map((k) => `--${k} ${String(flags[k])}`);
    return ["cortex jobs", ...args, `--cursor ${cursor}`].join(" ");
  }

  private print(jobs: JobInfo[], next: string): void {
    if (jobs.length === 0) {
      this.log("no jobs");
      return;
    }
    const now = Date.now();
    this.log(
      renderTable(
        ["id", "topic", "state", "attempts", "age", "duration", "worker"],
        jobs.map((j) => {
          const duration = jobDurationMs(j, now);
          return [
            shortId(j.jobId),
            j.topic,
            ansis[stateTone(j.state)](j.state),
            String(j.attempts),
            formatAge(jobAgeMs(j, now)),
            duration === undefined ? "-" : formatDuration(duration),
            j.workerId || "-",
          ];
        }),
      ),
    );
    if (next) this.log(ansis.dim(`more: ${next}`));
  }
}
