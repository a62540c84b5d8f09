/**
 * The shapes cortex relies on in Ollama's answers, checked at the edge so a malformed
 * answer becomes LLM_BAD_RESPONSE instead of an `undefined` deep in a worker.
 */
import { z } from "zod";
import type { LlmUsage, PullProgress } from "./types.js";
import { OllamaProtocolError } from "./wire-errors.js";

const metrics = {
  model: z.string().optional(),
  prompt_eval_count: z.number().optional(),
  eval_count: z.number().optional(),
  /** nanoseconds */
  total_duration: z.number().optional(),
};

const chatAnswer = z.object({ ...metrics, message: z.object({ content: z.string() }) });
// the closing chunk of a stream may carry no message
const chatChunk = z.object({
  ...metrics,
  message: z.object({ content: z.string() }).optional(),
  done: z.boolean().optional(),
});
const tags = z.object({ models: z.array(z.object({ name: z.string() })) });
const progress = z.object({
  status: z.string(),
  digest: z.string().optional(),
  total: z.number().optional(),
  completed: z.number().optional(),
});

export type ChatAnswer = z.infer<typeof chatAnswer>;
export type ChatChunk = z.infer<typeof chatChunk>;

function parse<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const where = issue?.path.length ? ` at ${issue.path.join(".")}` : "";
  throw new OllamaProtocolError(`${what}${where}: ${issue?.message ?? "unexpected shape"}`, {
    cause: result.error,
  });
}

export const parseChatAnswer = (v: unknown): ChatAnswer => parse(chatAnswer, v, "chat answer");
export const parseChatChunk = (v: unknown): ChatChunk => parse(chatChunk, v, "streamed chat chunk");
export const parseTagNames = (v: unknown): string[] => parse(tags, v, "model list").models.map((m) => m.name);

export function parseProgress(v: unknown): PullProgress {
  const p = parse(progress, v, "pull progress");
  return {
    status: p.status,
    ...(p.digest === undefined ? {} : { digest: p.digest }),
    ...(p.total === undefined ? {} : { total: p.total }),
    ...(p.completed === undefined ? {} : { completed: p.completed }),
  };
}

/** Ollama's own timing when it reports one, else the time the call took. */
export function usageOf(m: ChatChunk | ChatAnswer, startedAt: number): LlmUsage {
  return {
    prompt_tokens: m.prompt_eval_count ?? 0,
    completion_tokens: m.eval_count ?? 0,
    duration_ms: Math.round(
      m.total_duration !== undefined && m.total_duration > 0
        ? m.total_duration / 1e6
        : performance.now() - startedAt,
    ),
  };
}
