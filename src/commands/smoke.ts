import { Flags } from "@oclif/core";
import ansis from "ansis";
import { BaseCommand } from "../cli/base-command.js";
import { ExitCode } from "../cli/exit-codes.js";
import { gatewayFromEnv } from "../cli/gateway.js";
import { renderTable } from "../cli/table.js";
import type { GatewayClient } from "../client/gateway-client.js";
import { submitAndWait } from "../client/submit-and-wait.js";
import { loadEnv } from "../config/env.js";
import { createLlmClient } from "../llm/index.js";

type Outcome = "pass" | "fail" | "skip";

interface Check {
  name: string;
  topic: string;
  /** Needs Ollama: skipped (not passed) when it does not answer or lacks the model. */
  llm?: boolean;
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
      const done = await submitAndWait(
        client,
        {
          topic: "job.echo",
          prompt: "",
          contextJson: JSON.stringify({ nonce }),
        },
        { timeoutMs },
      );
      const sub = done.job;
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
      const done = await submitAndWait(client, { topic: "job.chat.simple", prompt: "ping" }, { timeoutMs });
      const sub = done.job;
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
  {
    name: "chat-advanced",
    topic: "job.chat.advanced",
    llm: true,
    async run(client, timeoutMs) {
      const done = await submitAndWait(
        client,
        {
          topic: "job.chat.advanced",
          prompt: "Reply with the single word: pong",
        },
        { timeoutMs },
      );
      const sub = done.job;
      if (done.job.state !== "SUCCEEDED")
        return { outcome: "fail", detail: `${done.job.state} ${done.job.reason}`, jobId: sub.jobId };
      const bad = expectShape(done.result, ["model", "response", "usage", "completed_at"]);
      const response = (done.result as { response?: unknown }).response;
      if (bad || typeof response !== "string" || response.trim() === "")
        return { outcome: "fail", detail: bad ?? "empty response", jobId: sub.jobId };
      return {
        outcome: "pass",
        detail: `${done.job.finishedAtMs - done.job.createdAtMs} ms`,
        jobId: sub.jobId,
      };
    },
  },
  {
    name: "code-llm",
    topic: "job.code.llm",
    llm: true,
    async run(client, timeoutMs) {
      const done = await submitAndWait(
        client,
        {
          topic: "job.code.llm",
          contextJson: JSON.stringify({
            file_path: "smoke/add.py",
            code_snippet: "def add(a, b):\n    return a + b\n",
            instruction: "Add a one-line docstring to the function.",
            language: "python",
          }),
        },
        { timeoutMs },
      );
      const sub = done.job;
      if (done.job.state !== "SUCCEEDED")
        return { outcome: "fail", detail: `${done.job.state} ${done.job.reason}`, jobId: sub.jobId };
      const patch = (done.result as { patch?: { type?: unknown; content?: unknown } }).patch;
      if (
        patch?.type !== "unified_diff" ||
        typeof patch.content !== "string" ||
        !patch.content.includes("@@")
      )
        return { outcome: "fail", detail: "result holds no unified diff", jobId: sub.jobId };
      return {
        outcome: "pass",
        detail: `${done.job.finishedAtMs - done.job.createdAtMs} ms`,
        jobId: sub.jobId,
      };
    },
  },
];

/** Why LLM flows cannot run here (Ollama down, model not pulled), or undefined when they can. */
async function llmSkipReason(): Promise<string | undefined> {
  const env = loadEnv(process.env);
  const health = await createLlmClient({ baseUrl: env.OLLAMA_URL, model: env.OLLAMA_MODEL }).health();
  if (!health.reachable) return `Ollama not reachable at ${health.url} (start it or set OLLAMA_URL)`;
  if (!health.modelPresent) return `model ${health.model} not on Ollama (cortex pull-model ${health.model})`;
  return undefined;
}

export interface SmokeResult {
  ok: boolean;
  checks: { name: string; topic: string; outcome: Outcome; detail: string; job_id?: string }[];
}

export default class Smoke extends BaseCommand {
  static override summary =
    "Run the echo, chat and LLM flows against the running stack; exit 1 on any failure (LLM flows are skipped when Ollama does not answer)";
  static override flags = {
    timeout: Flags.integer({ description: "seconds each flow may take", default: 60 }),
  };

  async run(): Promise<SmokeResult> {
    const { flags } = await this.parse(Smoke);
    const client = await gatewayFromEnv();
    const checks: SmokeResult["checks"] = [];
    try {
      await client.getStatus();
      const llmSkip = CHECKS.some((c) => c.llm) ? await llmSkipReason() : undefined;
      for (const check of CHECKS) {
        if (check.llm && llmSkip !== undefined) {
          checks.push({ name: check.name, topic: check.topic, outcome: "skip", detail: llmSkip });
          continue;
        }
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
