/**
 * The chat-advanced worker: one chat turn with the model through Ollama. Tokens stream to
 * watchers as job progress while the model writes; the result holds the whole answer.
 * When Ollama is unreachable or lacks the model the job fails with the LLM client's error
 * (the URL tried, and `cortex pull-model` / OLLAMA_URL as the fix) — never a fake answer.
 */
import { z } from "zod";
import type { ChatMessage, LlmClient, LlmUsage } from "../llm/index.js";
import type { JobHandler } from "./handler.js";
import { parseJobContext } from "./job-context.js";

export interface ChatAdvancedResult {
  job_id: string;
  processed_by: string;
  model: string;
  prompt: string;
  response: string;
  usage: LlmUsage;
  completed_at: string;
}

const chatContext = z.object({
  prompt: z.string().min(1, { error: "expected a non-empty string" }),
  model: z.string().min(1).optional(),
  system: z.string().optional(),
});

const EXAMPLE = '{"prompt": "Explain NATS JetStream in one paragraph", "model": "llama3"}';

export function chatAdvancedHandler(llm: LlmClient): JobHandler {
  return async (job, signal): Promise<ChatAdvancedResult> => {
    signal.throwIfAborted();
    const ctx = parseJobContext(chatContext, job, EXAMPLE);
    const messages: ChatMessage[] = [];
    if (ctx.system) messages.push({ role: "system", content: ctx.system });
    messages.push({ role: "user", content: ctx.prompt });
    const answer = await llm.chat({
      ...(ctx.model ? { model: ctx.model } : {}),
      messages,
      signal,
      onToken: (text) => job.progress(text),
    });
    return {
      job_id: job.jobId,
      processed_by: job.workerId,
      model: answer.model,
      prompt: ctx.prompt,
      response: answer.content,
      usage: answer.usage,
      completed_at: new Date().toISOString(),
    };
  };
}
