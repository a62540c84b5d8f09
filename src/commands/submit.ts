import { Args, Flags } from "@oclif/core";
import ansis from "ansis";
import { BaseCommand } from "../cli/base-command.js";
import { ExitCode } from "../cli/exit-codes.js";
import { gatewayFromEnv } from "../cli/gateway.js";
import { JOB_KINDS, topicForKind } from "../cli/job-kinds.js";
import { followedTransition } from "../cli/print-job.js";
import { explainWaiting, onInterrupt } from "../cli/waiting-hints.js";
import type { SubmitResult } from "../client/json-shapes.js";
import { submitAndWait } from "../client/submit-and-wait.js";
import { CortexError, ErrorCode } from "../core/errors.js";

export default class Submit extends BaseCommand {
  static override summary = "Submit a job; with --wait, follow it to the end and print its result";
  static override description =
    `KIND is one of ${Object.keys(JOB_KINDS).join(", ")}, or a topic such as job.echo. Exit codes: 0 submitted (or, with --wait, succeeded); 1 the job failed, was denied or timed out; 2 bad usage; 3 the stack is not reachable.`;
  static override examples = [
    "<%= config.bin %> submit echo hello --wait",
    "<%= config.bin %> submit chat 'what is cortex?' --wait --json",
    `<%= config.bin %> submit job.echo --context '{"sleep_ms": 500}' --wait`,
  ];
  static override args = {
    kind: Args.string({ description: "job kind or topic", required: true }),
    prompt: Args.string({ description: "prompt text (added to the context as `prompt`)" }),
  };
  static override flags = {
    wait: Flags.boolean({ char: "w", description: "wait for the job to finish and print its result" }),
    timeout: Flags.integer({ description: "seconds to wait with --wait", default: 120 }),
    tenant: Flags.string({ description: "tenant to submit as (default: the stack's default tenant)" }),
    context: Flags.string({ description: "JSON object stored as the job's context (ctx:<id>)" }),
    priority: Flags.string({ description: "BATCH, INTERACTIVE or CRITICAL", default: "INTERACTIVE" }),
  };

  async run(): Promise<SubmitResult> {
    const { args, flags } = await this.parse(Submit);
    const topic = topicForKind(args.kind);
    if (!topic) {
      throw new CortexError(ErrorCode.InvalidArgument, `unknown job kind "${args.kind}"`, {
        hint: `Use one of ${Object.keys(JOB_KINDS).join(", ")}, or a topic like job.echo.`,
      });
    }
    if (flags.context !== undefined) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(flags.context);
      } catch (cause) {
        throw new CortexError(ErrorCode.InvalidArgument, "--context is not valid JSON", {
          hint: `Pass an object, e.g. --context '{"key": "value"}'.`,
          cause,
        });
      }
      if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
        throw new CortexError(ErrorCode.InvalidArgument, "--context must be a JSON object", {
          hint: `e.g. --context '{"key": "value"}'.`,
        });
      }
    }
    const client = await gatewayFromEnv();
    const stopHints: (() => void)[] = [];
    try {
      const req = {
        prompt: args.prompt ?? "",
        topic,
        priority: flags.priority,
        contextJson: flags.context ?? "",
        tenant: flags.tenant ?? "",
      };
      if (!flags.wait) {
        const sub = await client.submitJob(req);
        if (!this.jsonEnabled()) this.log(sub.jobId);
        return { job_id: sub.jobId, trace_id: sub.traceId, topic };
      }
      const human = !this.jsonEnabled();
      const out: SubmitResult = { job_id: "", trace_id: "", topic };
      stopHints.push(onInterrupt(() => out.job_id, process.stderr));
      let midLine = false;
      const done = await submitAndWait(client, req, {
        timeoutMs: flags.timeout * 1000,
        // A handler's progress (worker SDK ctx.progress, LLM tokens) streams to stdout before the result.
        onProgress: (ev) => {
          if (!human) return;
          if (ev.kind !== "token") {
            this.logToStderr(`  ${ansis.dim(ev.text)}`);
            return;
          }
          process.stdout.write(ev.text);
          midLine = !ev.text.endsWith("\n");
        },
        onSubmitted: (sub) => {
          out.job_id = sub.jobId;
          out.trace_id = sub.traceId;
          if (!human) return;
          this.logToStderr(`${ansis.dim("job")} ${sub.jobId} ${ansis.dim(`(${topic})`)}`);
          const waiting = explainWaiting(client, sub.jobId, (why) =>
            this.logToStderr(`  ${ansis.yellow(why)}`),
          );
          stopHints.push(() => void waiting.stop());
        },
        onState: (state, e) => {
          if (human) this.logToStderr(`  ${followedTransition(state, e)}`);
        },
      });
      if (midLine) process.stdout.write("\n");
      out.state = done.job.state;
      out.attempts = done.job.attempts;
      if (done.job.reason) out.reason = done.job.reason;
      if (done.job.workerId) out.worker_id = done.job.workerId;
      out.result = done.result;
      if (human && done.result !== undefined) this.log(JSON.stringify(done.result, null, 2));
      if (done.job.state !== "SUCCEEDED") {
        process.exitCode = ExitCode.JobFailed;
        if (human)
          this.logToStderr(
            ansis.red(`job ${done.job.state}${done.job.reason ? `: ${done.job.reason}` : ""}`),
          );
      }
      return out;
    } finally {
      for (const stop of stopHints) stop();
      client.close();
    }
  }
}
