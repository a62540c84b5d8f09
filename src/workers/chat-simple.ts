/**
 * The chat-simple worker: answers "Echo: <prompt>". It exercises the chat job path
 * (prompt in, response out) without a model.
 */
import { CortexError, ErrorCode } from "../core/errors.js";
import type { JobHandler } from "./handler.js";

export interface ChatSimpleResult {
  job_id: string;
  processed_by: string;
  prompt: string;
  response: string;
  completed_at: string;
}

export const chatSimpleHandler: JobHandler = async (job, signal): Promise<ChatSimpleResult> => {
  signal.throwIfAborted();
  const prompt = job.context.prompt;
  if (typeof prompt !== "string") {
    throw new CortexError(ErrorCode.InvalidArgument, `job ${job.jobId} has no prompt in its context`, {
      hint: 'Put a "prompt" string in the job context, e.g. {"prompt": "hello"}.',
    });
  }
  return {
    job_id: job.jobId,
    processed_by: job.workerId,
    prompt,
    response: `Echo: ${prompt}`,
    completed_at: new Date().toISOString(),
  };
};
