/**
 * The chat-advanced worker: one chat turn with the model through Ollama. Tokens stream to
 * watchers as job progress while the model writes; the result holds the whole answer.
 * When Ollama is unreachable or lacks the model the job fails with the LLM client's error
 * (the URL tried, and `cortex pull-model` / OLLAMA_URL as the fix) — never a fake answer.
 * `history` (earlier turns, oldest first) makes it one turn of a longer conversation.
 * Written with the worker SDK; the daemon injects its LLM client.
 */
import { z } from "zod";
import { WORKER_KIND_ROUTES } from "../core/worker-kinds.js";
import type { ChatMessage, LlmClient, LlmUsage } from "../llm/index.js";
import { defineWorker, type WorkerDefinition } from "../sdk/index.js";

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
  history: z
    .array(z.object({ role: z.enum(["user", "assistant"]), content: z.string() }))
    .max(100)
    .optional(),
});

const route = WORKER_KIND_ROUTES["chat-advanced"];

export function chatAdvancedWorker(llm: LlmClient): WorkerDefinition {
  return defineWorker({
    pool: route.pool,
    topics: {
      [route.topics[0]]: {
        input: chatContext,
        example: { prompt: "Explain NATS JetStream in one paragraph", model: "llama3" },
        handler: async (input, ctx): Promise<ChatAdvancedResult> => {
          ctx.signal.throwIfAborted();
          const job = input as z.infer<typeof chatContext>;
          const messages: ChatMessage[] = [];
          if (job.system) messages.push({ role: "system", content: job.system });
          messages.push(...(job.history ?? []));
          messages.push({ role: "user", content: job.prompt });
          const answer = await llm.chat({
            ...(job.model ? { model: job.model } : {}),
            messages,
            signal: ctx.signal,
            onToken: ctx.progress,
          });
          return {
            job_id: ctx.jobId,
            processed_by: ctx.workerId,
            model: answer.model,
            prompt: job.prompt,
            response: answer.content,
            usage: answer.usage,
            completed_at: new Date().toISOString(),
          };
        },
      },
    },
  });
}
