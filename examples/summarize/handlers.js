// A worker that summarizes text with the model behind OLLAMA_URL, streaming the summary as
// it is written (`cortex submit job.summarize --context '{"text": "…"}' --wait` prints it live).
// Once the package exports land this import is `cortex/worker`; in this checkout it is dist/.
import { z } from "zod";
import { defineWorker } from "../../dist/sdk/index.js";

export default defineWorker({
  pool: "summarize",
  concurrency: 2,
  topics: {
    "job.summarize": {
      // A context without text fails the job (not retried) before the model is asked.
      input: z.object({ text: z.string().min(1), sentences: z.number().int().min(1).max(10).default(2) }),
      handler: async ({ text, sentences }, ctx) => {
        ctx.log.info("summarizing", { chars: text.length });
        const answer = await ctx.llm.chat({
          messages: [
            { role: "system", content: `Summarize the user's text in at most ${sentences} sentences.` },
            { role: "user", content: text },
          ],
          signal: ctx.signal,
          onToken: (token) => ctx.progress(token),
        });
        return { summary: answer.content, model: answer.model, usage: answer.usage };
      },
    },
  },
});
