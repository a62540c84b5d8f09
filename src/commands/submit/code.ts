import { Flags } from "@oclif/core";
import ansis from "ansis";
import { BaseCommand } from "../../cli/base-command.js";
import { codeJobContext, deliverPatch, type PatchResult, unifiedDiffOf } from "../../cli/code-job.js";
import {
  followFlags,
  reportOutcome,
  type SubmittedJob,
  submitAndFollow,
  submittedJob,
} from "../../cli/follow-job.js";
import { gatewayFromEnv } from "../../cli/gateway.js";
import { jsonStringFieldStream } from "../../cli/json-string-stream.js";
import { JobTopics } from "../../core/subjects.js";

const TOPIC = JobTopics.codeLlm;

interface CodeAnswer extends PatchResult {
  explanation?: unknown;
}

export interface SubmitCodeResult extends SubmittedJob {
  /** Where --out wrote the patch. */
  patch_file?: string;
}

export default class SubmitCode extends BaseCommand {
  static override summary = "Ask the model (Ollama) to change a file; --wait prints the patch it produced";
  static override description =
    "The code-llm worker asks the model for the revised file and returns a unified diff that `git apply` accepts. The diff is coloured on a terminal and plain when piped; --out writes it to a file instead of printing it (and implies --wait). Patch paths are relative to the file's git work-tree root (as `git diff` writes them), or to the current directory outside a repository, so `git apply` works from the root. Exit codes: 0 submitted (or, with --wait, patched); 1 the job failed or timed out; 2 bad usage (missing, binary or oversized file); 3 the stack is not reachable.";
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
    const { context } = await codeJobContext(flags);
    const request = {
      topic: TOPIC,
      contextJson: JSON.stringify({ ...context, ...(flags.model ? { model: flags.model } : {}) }),
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
      // stdout is kept for the patch so `> fix.patch` works; the model's JSON is shown as the code it carries.
      const { submitted, done } = await submitAndFollow(client, request, {
        timeoutMs: flags.timeout * 1000,
        quiet: !human,
        tokens: "stderr",
        tokenText: () => jsonStringFieldStream("revised_code"),
      });
      const base: SubmittedJob = { job_id: submitted.jobId, trace_id: submitted.traceId, topic: TOPIC };
      const out: SubmitCodeResult = submittedJob(base, done);
      if (!reportOutcome(done, !human)) return out;
      const answer = (done.result ?? {}) as CodeAnswer;
      const patch = unifiedDiffOf(answer, {
        message: `job ${submitted.jobId} succeeded without a unified diff`,
        hint: `Inspect the result with \`cortex job ${submitted.jobId}\`.`,
      });
      const note = typeof answer.explanation === "string" ? ansis.dim(answer.explanation) : undefined;
      return Object.assign(out, await deliverPatch(this, patch, { out: flags.out, human, note }));
    } finally {
      client.close();
    }
  }
}
