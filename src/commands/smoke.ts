import { Flags } from "@oclif/core";
import ansis from "ansis";
import { BaseCommand } from "../cli/base-command.js";
import { ExitCode } from "../cli/exit-codes.js";
import { gatewayFromEnv } from "../cli/gateway.js";
import { renderTable } from "../cli/table.js";
import type { GatewayClient } from "../client/gateway-client.js";
import { waitForJob } from "../client/wait-for-job.js";

type Outcome = "pass" | "fail" | "skip";

interface Check {
  name: string;
  topic: string;
  run(
    client: GatewayClient,
    timeoutMs: number,
  ): Promise<{ outcome: Outcome; detail: string; jobId?: string }>;
}

function expectShape(result: unknown, keys: string[]): string | undefined {
  if (result === null || typeof result !== "object") return "result is not an object";
  const missing = keys.filter((k) => !(k in (result as Record<string, unknown>)));
  return missing.length ? `result lacks ${missing.join(", ")}` : undefined;
}

const CHECKS: Check[] = [
  {
    name: "echo",
    topic: "job.echo",
    async run(client, timeoutMs) {
      const nonce = `smoke-${Date.now()}`;
      const sub = await client.submitJob({
        topic: "job.echo",
        prompt: "",
        contextJson: JSON.stringify({ nonce }),
      });
      const done = await waitForJob(client, sub.jobId, { timeoutMs });
      if (done.job.state !== "SUCCEEDED")
        return { outcome: "fail", detail: `${done.job.state} ${done.job.reason}`, jobId: sub.jobId };
      const bad = expectShape(done.result, ["job_id", "processed_by", "received_ctx", "completed_at_utc"]);
      const ctx = (done.result as { received_ctx?: { nonce?: string } }).received_ctx;
      if (bad || ctx?.nonce !== nonce)
        return { outcome: "fail", detail: bad ?? "context not echoed", jobId: sub.jobId };
      return {
        outcome: "pass",
        detail: `${done.job.finishedAtMs - done.job.createdAtMs} ms`,
        jobId: sub.jobId,
      };
    },
  },
  {
    name: "chat",
    topic: "job.chat.simple",
    async run(client, timeoutMs) {
      const sub = await client.submitJob({ topic: "job.chat.simple", prompt: "ping" });
      const done = await waitForJob(client, sub.jobId, { timeoutMs });
      if (done.job.state !== "SUCCEEDED")
        return { outcome: "fail", detail: `${done.job.state} ${done.job.reason}`, jobId: sub.jobId };
      const response = (done.result as { response?: string }).response;
      if (response !== "Echo: ping")
        return {
          outcome: "fail",
          detail: `unexpected response ${JSON.stringify(response)}`,
          jobId: sub.jobId,
        };
      return {
        outcome: "pass",
        detail: `${done.job.finishedAtMs - done.job.createdAtMs} ms`,
        jobId: sub.jobId,
      };
    },
  },
];

export interface SmokeResult {
  ok: boolean;
  checks: { name: string; topic: string; outcome: Outcome; detail: string; job_id?: string }[];
}

export default class Smoke extends BaseCommand {
  static override summary = "Run the echo and chat flows against the running stack; exit 1 on any failure";
  static override flags = {
    timeout: Flags.integer({ description: "seconds each flow may take", default: 60 }),
  };

  async run(): Promise<SmokeResult> {
    const { flags } = await this.parse(Smoke);
    const client = gatewayFromEnv();
    const checks: SmokeResult["checks"] = [];
    try {
      await client.getStatus();
      for (const check of CHECKS) {
        try {
          const r = await check.run(client, flags.timeout * 1000);
          checks.push({
            name: check.name,
            topic: check.topic,
            outcome: r.outcome,
            detail: r.detail,
            ...(r.jobId ? { job_id: r.jobId } : {}),
          });
        } catch (err) {
          checks.push({
            name: check.name,
            topic: check.topic,
            outcome: "fail",
            detail: (err as Error).message,
          });
        }
      }
    } finally {
      client.close();
    }
    const ok = checks.every((c) => c.outcome !== "fail");
    if (!this.jsonEnabled()) {
      const paint = (o: Outcome) =>
        o === "pass" ? ansis.green("pass") : o === "skip" ? ansis.yellow("skipped") : ansis.red("FAIL");
      this.log(
        renderTable(
          ["flow", "topic", "result", "detail"],
          checks.map((c) => [c.name, c.topic, paint(c.outcome), c.detail]),
        ),
      );
    }
    if (!ok) process.exitCode = ExitCode.JobFailed;
    return { ok, checks };
  }
}
