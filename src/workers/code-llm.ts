/**
 * The code-llm worker: asks the model for the revised code with Ollama structured output
 * (a JSON schema), checks the answer, and builds the unified diff itself so the patch
 * always applies. An unusable answer fails the job with `patch: {type: "error"}` saying
 * why, so callers never get an empty or made-up patch. Written with the worker SDK; the
 * daemon injects its LLM client.
 */
import { z } from "zod";
import { ErrorCode } from "../core/errors.js";
import { WORKER_KIND_ROUTES } from "../core/worker-kinds.js";
import type { LlmClient, LlmUsage } from "../llm/index.js";
import { defineWorker, type WorkerContext, type WorkerDefinition } from "../sdk/index.js";
import { alignRevision, buildUnifiedDiff } from "./code-patch.js";
import { JobFailure } from "./job-failure.js";

export interface CodeLlmResult {
  job_id: string;
  processed_by: string;
  file_path: string;
  original_code: string;
  instruction: string;
  language?: string;
  patch: { type: "unified_diff"; content: string };
  explanation?: string;
  model: string;
  usage: LlmUsage;
  completed_at: string;
}

const codeContext = z.object({
  file_path: z.string().min(1, { error: "expected a non-empty string" }),
  code_snippet: z.string(),
  instruction: z.string().min(1, { error: "expected a non-empty string" }),
  language: z.string().optional(),
  model: z.string().min(1).optional(),
});
type CodeContext = z.infer<typeof codeContext>;

const EXAMPLE = { file_path: "src/x.py", code_snippet: "<the file>", instruction: "add type hints" };

/** What the model must answer; its JSON schema is sent to Ollama as `format`. */
export const codeAnswer = z.object({
  revised_code: z.string(),
  explanation: z.string().optional(),
});
const ANSWER_SCHEMA = z.toJSONSchema(codeAnswer);

const SYSTEM_PROMPT = [
  "You are a careful software engineer editing one source file.",
  "Apply the instruction to the file and answer with JSON only:",
  '{"revised_code": "<the complete revised file>", "explanation": "<one or two sentences>"}.',
  "revised_code must hold the whole file, not a fragment or a diff, with no Markdown fences.",
  "Change only what the instruction asks for; keep everything else exactly as it is.",
].join(" ");

function userPrompt(ctx: CodeContext): string {
  const lang = ctx.language ?? "";
  return [
    `File: ${ctx.file_path}${lang ? ` (${lang})` : ""}`,
    `Instruction: ${ctx.instruction}`,
    "",
    `\`\`\`${lang}`,
    ctx.code_snippet,
    "```",
  ].join("\n");
}

/** A whole answer wrapped in a Markdown fence, which models add despite being told not to. */
const FENCED = /^\s*```[^\n]*\n([\s\S]*?)\n?```\s*$/;

/** The revised code, or why the answer cannot be used. */
export function readAnswer(content: string): { code: string; explanation?: string } | { problem: string } {
  if (content.trim() === "") return { problem: "the model's answer is empty" };
  let value: unknown;
  try {
    value = JSON.parse(content);
  } catch {
    return { problem: "the model's answer is not valid JSON" };
  }
  const parsed = codeAnswer.safeParse(value);
  if (!parsed.success) return { problem: 'the model\'s answer has no "revised_code" string' };
  const fenced = FENCED.exec(parsed.data.revised_code);
  const code = fenced?.[1] ?? parsed.data.revised_code;
  if (code.trim() === "") return { problem: "the model returned empty code" };
  const explanation = parsed.data.explanation?.trim();
  return explanation ? { code, explanation } : { code };
}

const route = WORKER_KIND_ROUTES["code-llm"];

export function codeLlmWorker(llm: LlmClient): WorkerDefinition {
  return defineWorker({
    pool: route.pool,
    topics: {
      [route.topics[0]]: {
        input: codeContext,
        example: EXAMPLE,
        handler: (input, ctx) => revise(llm, input as CodeContext, ctx),
      },
    },
  });
}

async function revise(llm: LlmClient, req: CodeContext, ctx: WorkerContext): Promise<CodeLlmResult> {
  ctx.signal.throwIfAborted();
  const answer = await llm.chat({
    ...(req.model ? { model: req.model } : {}),
    messages: [
      { role: "system", content: SYSTEM_PROMPT },
      { role: "user", content: userPrompt(req) },
    ],
    format: ANSWER_SCHEMA,
    signal: ctx.signal,
    onToken: ctx.progress,
  });
  const asked = {
    file_path: req.file_path,
    original_code: req.code_snippet,
    instruction: req.instruction,
    ...(req.language ? { language: req.language } : {}),
  };
  const unusable = (problem: string): JobFailure =>
    new JobFailure(
      ErrorCode.LlmBadResponse,
      `no patch for ${req.file_path}: ${problem}`,
      { ...asked, patch: { type: "error", content: problem }, model: answer.model, usage: answer.usage },
      {
        hint: "Rephrase the instruction or try another model (--model); the job can be resubmitted as is.",
      },
    );
  const read = readAnswer(answer.content);
  if ("problem" in read) throw unusable(read.problem);
  const revised = alignRevision(req.code_snippet, read.code);
  if (revised === req.code_snippet) throw unusable("the model returned the code unchanged");
  return {
    job_id: ctx.jobId,
    processed_by: ctx.workerId,
    ...asked,
    patch: { type: "unified_diff", content: buildUnifiedDiff(req.file_path, req.code_snippet, revised) },
    ...(read.explanation ? { explanation: read.explanation } : {}),
    model: answer.model,
    usage: answer.usage,
    completed_at: new Date().toISOString(),
  };
}
