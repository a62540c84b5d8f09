/**
 * The chat-simple worker: answers "Echo: <prompt>". It exercises the chat job path
 * (prompt in, response out) without a model. Written with the worker SDK, as a user's would be.
 */
import { CortexError, ErrorCode } from "../core/errors.js";
import { WORKER_KIND_ROUTES } from "../core/worker-kinds.js";
import { defineWorker } from "../sdk/index.js";

export interface ChatSimpleResult {
  job_id: string;
  processed_by: string;
  prompt: string;
  response: string;
  completed_at: string;
}

const route = WORKER_KIND_ROUTES["chat-simple"];

export const chatSimpleWorker = defineWorker({
  pool: route.pool,
  topics: {
    [route.topics[0]]: (input, ctx): ChatSimpleResult => {
      ctx.signal.throwIfAborted();
      const prompt = (input as Record<string, unknown>).prompt;
      // Checked here rather than by an input schema: any non-string is "no prompt", as it always was.
      if (typeof prompt !== "string") {
        throw new CortexError(ErrorCode.InvalidArgument, `job ${ctx.jobId} has no prompt in its context`, {
          hint: 'Put a "prompt" string in the job context, e.g. {"prompt": "hello"}.',
        });
      }
      return {
        job_id: ctx.jobId,
        processed_by: ctx.workerId,
        prompt,
        response: `Echo: ${prompt}`,
        completed_at: new Date().toISOString(),
      };
    },
  },
});
