import { Flags } from "@oclif/core";
import ansis from "ansis";
import { BaseCommand } from "../cli/base-command.js";
import { ExitCode } from "../cli/exit-codes.js";
import { gatewayFromEnv } from "../cli/gateway.js";
import { renderTable } from "../cli/table.js";
import type { GatewayClient, SubmitJobInput } from "../client/gateway-client.js";
import type { SmokeOutcome, SmokeResult } from "../client/json-shapes.js";
import { submitAndWait } from "../client/submit-and-wait.js";
import { loadEnv } from "../config/env.js";
import { JobTopics } from "../core/subjects.js";
import { createLlmClient } from "../llm/index.js";

type Outcome = SmokeOutcome;

/** One flow: what to submit, and what its result must hold (a failure detail, or undefined). */
interface Check {
  name: string;
  /** Needs Ollama: skipped (not passed) when it does not answer or lacks the model. */
  llm?: boolean;
  request(): SubmitJobInput;
  verify(result: unknown): string | undefined;
}

function expectShape(result: unknown, keys: string[]): string | undefined {
  if (result === null || typeof result !== "object") return "result is not an object";
  const missing = keys.filter((k) => !(k in (result as Record<string, unknown>)));
  return missing.length ? `result lacks ${missing.join(", ")}` : undefined;
}

const nonce = `smoke-${process.pid}-${Date.now()}`;

const CHECKS: Check[] = [
  {
    name: "echo",
    request: () => ({ topic: JobTopics.echo, contextJson: JSON.stringify({ nonce }) }),
    verify: (result) => {
      const bad = expectShape(result, ["job_id", "processed_by", "received_ctx", "completed_at_utc"]);
      const ctx = (result as { received_ctx?: { nonce?: string } }).received_ctx;
      return bad ?? (ctx?.nonce === nonce ? undefined : "context not echoed");
    },
  },
  {
    name: "chat",
    request: () => ({ topic: JobTopics.chatSimple, prompt: "ping" }),
    verify: (result) => {
      const response = (result as { response?: string }).response;
      return response === "Echo: ping" ? undefined : `unexpected response ${JSON.stringify(response)}`;
    },
  },
  {
    name: "chat-advanced",
    llm: true,
    request: () => ({ topic: JobTopics.chatAdvanced, prompt: "Reply with the single word: pong" }),
    verify: (result) => {
      const bad = expectShape(result, ["model", "response", "usage", "completed_at"]);
      const response = (result as { response?: unknown }).response;
      return bad ?? (typeof response === "string" && response.trim() !== "" ? undefined : "empty response");
    },
  },
  {
    name: "code-llm",
    llm: true,
    request: () => ({
      topic: JobTopics.codeLlm,
      contextJson: JSON.stringify({
        file_path: "smoke/add.py",
        code_snippet: "def add(a, b):\n    return a + b\n",
        instruction: "Add a one-line docstring to the function.",
        language: "python",
      }),
    }),
    verify: (result) => {
      const patch = (result as { patch?: { type?: unknown; content?: unknown } }).patch;
      const ok =
        patch?.type === "unified_diff" && typeof patch.content === "string" && patch.content.includes("@@");
      return ok ? undefined : "result holds no unified diff";
    },
  },
];

async function runCheck(
  client: GatewayClient,
  check: Check,
  timeoutMs: number,
): Promise<{ outcome: Outcome; detail: string; jobId: string }> {
  const { job, result } = await submitAndWait(
    client,
    { ...check.request(), terminalOnly: true },
    { timeoutMs },
  );
  if (job.state !== "SUCCEEDED")
    return { outcome: "fail", detail: `${job.state} ${job.reason}`, jobId: job.jobId };
  const bad = check.verify(result);
  if (bad !== undefined) return { outcome: "fail", detail: bad, jobId: job.jobId };
  return { outcome: "pass", detail: `${job.finishedAtMs - job.createdAtMs} ms`, jobId: job.jobId };
}

/** Why LLM flows cannot run here (Ollama down, model not pulled), or undefined when they can. */
async function llmSkipReason(): Promise<string | undefined> {
  const env = loadEnv(process.env);
  const health = await createLlmClient({ baseUrl: env.OLLAMA_URL, model: env.OLLAMA_MODEL }).health();
  if (!health.reachable) return `Ollama not reachable at ${health.url} (start it or set OLLAMA_URL)`;
  if (!health.modelPresent) return `model ${health.model} not on Ollama (cortex pull-model ${health.model})`;
  return undefined;
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
        const { topic } = check.request();
        if (check.llm && llmSkip !== undefined) {
          checks.push({ name: check.name, topic, outcome: "skip", detail: llmSkip });
          continue;
        }
        try {
          const r = await runCheck(client, check, flags.timeout * 1000);
          checks.push({ name: check.name, topic, outcome: r.outcome, detail: r.detail, job_id: r.jobId });
        } catch (err) {
          checks.push({ name: check.name, topic, outcome: "fail", detail: (err as Error).message });
        }
      }
    } finally {
      client.close();
    }
    const ok = checks.every((c) => c.outcome !== "fail");
    if (!this.jsonEnabled()) {
      const paint = (o: Outcome) =>
        o === "pass" ? ansis.green("pass") : o === "skip" ? ansis.yellow("skip") : ansis.red("FAIL");
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
