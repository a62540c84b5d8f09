import { Args, Flags } from "@oclif/core";
import ansis from "ansis";
import { BaseCommand } from "../../cli/base-command.js";
import {
  followFlags,
  reportOutcome,
  type SubmittedJob,
  submitAndFollow,
  submittedJob,
} from "../../cli/follow-job.js";
import { gatewayFromEnv } from "../../cli/gateway.js";
import { JobTopics } from "../../core/subjects.js";

const TOPIC = JobTopics.chatAdvanced;

interface ChatAnswer {
  response?: unknown;
  model?: unknown;
  usage?: { prompt_tokens?: unknown; completion_tokens?: unknown; duration_ms?: unknown };
}

export default class SubmitChatAdvanced extends BaseCommand {
  static override summary =
    "Ask the model (Ollama) through the chat-advanced worker; --wait streams the answer";
  static override description =
    "The answer streams to stdout as the model writes it; state changes go to stderr. Exit codes: 0 submitted (or, with --wait, answered); 1 the job failed (e.g. Ollama unreachable, model missing) or timed out; 2 bad usage; 3 the stack is not reachable.";
  static override examples = [
    "<%= config.bin %> submit chat-advanced 'what is a vector clock?' --wait",
    "<%= config.bin %> submit chat-advanced 'summarise RFC 2119' --model llama3 --wait --json",
  ];
  static override args = {
    prompt: Args.string({ description: "what to ask the model", required: true }),
  };
  static override flags = {
    model: Flags.string({ char: "m", description: "Ollama model (default: the worker's OLLAMA_MODEL)" }),
    system: Flags.string({ description: "system prompt" }),
    ...followFlags(300),
  };

  async run(): Promise<SubmittedJob> {
    const { args, flags } = await this.parse(SubmitChatAdvanced);
    const context = {
      ...(flags.model ? { model: flags.model } : {}),
      ...(flags.system ? { system: flags.system } : {}),
    };
    const request = {
      topic: TOPIC,
      prompt: args.prompt,
      contextJson: JSON.stringify(context),
      priority: flags.priority,
      tenant: flags.tenant ?? "",
    };
    const human = !this.jsonEnabled();
    const client = await gatewayFromEnv();
    try {
      if (!flags.wait) {
        const sub = await client.submitJob(request);
        if (human) this.log(sub.jobId);
        return { job_id: sub.jobId, trace_id: sub.traceId, topic: TOPIC };
      }
      const { submitted, done } = await submitAndFollow(client, request, {
        timeoutMs: flags.timeout * 1000,
        quiet: !human,
        tokens: "stdout",
      });
      const base: SubmittedJob = { job_id: submitted.jobId, trace_id: submitted.traceId, topic: TOPIC };
      if (reportOutcome(done, !human) && human) {
        const answer = (done.result ?? {}) as ChatAnswer;
        const response = typeof answer.response === "string" ? answer.response : "";
        // Tokens lost on the way (a slow terminal drops events): print the whole answer.
        if (done.streamed !== response) {
          if (done.streamed !== "") this.logToStderr(ansis.dim("(live stream incomplete; the full answer:)"));
          this.log(response);
        }
        this.logToStderr(ansis.dim(usageLine(answer)));
      }
      return submittedJob(base, done);
    } finally {
      client.close();
    }
  }
}

function usageLine(a: ChatAnswer): string {
  const u = a.usage ?? {};
  return `${String(a.model ?? "?")} · ${String(u.prompt_tokens ?? "?")} prompt + ${String(u.completion_tokens ?? "?")} completion tokens · ${String(u.duration_ms ?? "?")} ms`;
}
