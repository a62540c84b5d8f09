import { writeFile } from "node:fs/promises";
import { Flags } from "@oclif/core";
import ansis from "ansis";
import { BaseCommand } from "../../cli/base-command.js";
import { languageOf, readCodeFile } from "../../cli/code-file.js";
import { formatDiff } from "../../cli/diff-print.js";
import {
  followFlags,
  reportOutcome,
  type SubmittedJob,
  submitAndFollow,
  submittedJob,
} from "../../cli/follow-job.js";
import { gatewayFromEnv } from "../../cli/gateway.js";
import { loadEnv } from "../../config/env.js";
import { CortexError, ErrorCode } from "../../core/errors.js";

const TOPIC = "job.code.llm";

interface CodeAnswer {
  patch?: { type?: unknown; content?: unknown };
  explanation?: unknown;
}

export interface SubmitCodeResult extends SubmittedJob {
  /** Where --out wrote the patch. */
  patch_file?: string;
}

export default class SubmitCode extends BaseCommand {
  static override summary = "Ask the model (Ollama) to change a file; --wait prints the patch it produced";
  static override description =
    "The code-llm worker asks the model for the revised file and returns a unified diff that `git apply` accepts. The diff is coloured on a terminal and plain when piped; --out writes it to a file (and implies --wait). Exit codes: 0 submitted (or, with --wait, patched); 1 the job failed or timed out; 2 bad usage (missing, binary or oversized file); 3 the stack is not reachable.";
  static override examples = [
    "<%= config.bin %> submit code --file src/calc.py --instruction 'add type hints' --wait",
    "<%= config.bin %> submit code --file main.go --instruction 'handle the error' --out fix.patch && git apply fix.patch",
  ];
  static override flags = {
    file: Flags.string({ char: "f", description: "source file to change", required: true }),
    instruction: Flags.string({ char: "i", description: "what to change", required: true }),
    language: Flags.string({ char: "l", description: "language of the file (default: from its extension)" }),
    model: Flags.string({ char: "m", description: "Ollama model (default: the worker's OLLAMA_MODEL)" }),
    out: Flags.string({ char: "o", description: "write the patch to this file (implies --wait)" }),
    ...followFlags(300),
  };

  async run(): Promise<SubmitCodeResult> {
    const { flags } = await this.parse(SubmitCode);
    const env = loadEnv(process.env);
    const code = await readCodeFile(flags.file, env.CORTEX_MAX_CONTEXT_BYTES);
    const language = flags.language ?? languageOf(flags.file);
    const context = {
      file_path: flags.file,
      code_snippet: code,
      instruction: flags.instruction,
      ...(language ? { language } : {}),
      ...(flags.model ? { model: flags.model } : {}),
    };
    const request = {
      topic: TOPIC,
      contextJson: JSON.stringify(context),
      priority: flags.priority,
      tenant: flags.tenant ?? "",
    };
    const human = !this.jsonEnabled();
    const client = await gatewayFromEnv();
    try {
      if (!flags.wait && flags.out === undefined) {
        const sub = await client.submitJob(request);
        if (human) this.log(sub.jobId);
        return { job_id: sub.jobId, trace_id: sub.traceId, topic: TOPIC };
      }
      // The model's tokens are JSON; stdout is kept for the patch so `> fix.patch` works.
      const { submitted, done } = await submitAndFollow(client, request, {
        timeoutMs: flags.timeout * 1000,
        quiet: !human,
        tokens: "stderr",
      });
      const base: SubmittedJob = { job_id: submitted.jobId, trace_id: submitted.traceId, topic: TOPIC };
      const out: SubmitCodeResult = submittedJob(base, done);
      if (!reportOutcome(done, !human)) return out;
      const answer = (done.result ?? {}) as CodeAnswer;
      const patch = answer.patch?.type === "unified_diff" ? answer.patch.content : undefined;
      if (typeof patch !== "string") {
        throw new CortexError(ErrorCode.Internal, `job ${submitted.jobId} succeeded without a unified diff`, {
          hint: `Inspect the result with \`cortex job ${submitted.jobId}\`.`,
        });
      }
      if (flags.out !== undefined) {
        await writeFile(flags.out, patch);
        out.patch_file = flags.out;
      }
      if (human) {
        this.log(formatDiff(patch).replace(/\n$/, ""));
        if (typeof answer.explanation === "string") this.logToStderr(ansis.dim(answer.explanation));
        if (flags.out !== undefined) this.logToStderr(`patch written to ${flags.out}`);
      }
      return out;
    } finally {
      client.close();
    }
  }
}
