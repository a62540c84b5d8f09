import { Args } from "@oclif/core";
import ansis from "ansis";
import { BaseCommand } from "../cli/base-command.js";
import { ExitCode } from "../cli/exit-codes.js";
import { createPullRenderer } from "../cli/pull-progress.js";
import type { PullModelResult } from "../client/json-shapes.js";
import { loadEnv } from "../config/env.js";
import { ErrorCode, isCortexError } from "../core/errors.js";
import { createLlmClient } from "../llm/index.js";

export default class PullModel extends BaseCommand {
  static override summary = "Download a model into Ollama, with progress";
  static override description =
    "Pulls MODEL (default OLLAMA_MODEL) through the Ollama server at OLLAMA_URL. Shows a progress bar on a " +
    "terminal and plain lines otherwise; --json prints each progress event as one JSON line (NDJSON).";
  static override examples = [
    "<%= config.bin %> pull-model",
    "<%= config.bin %> pull-model qwen2.5-coder:1.5b",
    "<%= config.bin %> pull-model llama3 --json",
  ];
  static override args = {
    model: Args.string({ description: "model name and optional tag (default: OLLAMA_MODEL)" }),
  };

  async run(): Promise<PullModelResult> {
    const { args } = await this.parse(PullModel);
    const env = loadEnv(process.env);
    const model = args.model ?? env.OLLAMA_MODEL;
    const llm = createLlmClient({
      baseUrl: env.OLLAMA_URL,
      model,
      ...(env.OLLAMA_TIMEOUT_MS === undefined ? {} : { requestTimeoutMs: env.OLLAMA_TIMEOUT_MS }),
    });
    const json = this.jsonEnabled();
    const renderer = json ? undefined : createPullRenderer(process.stderr, process.stderr.isTTY === true);
    if (!json) this.logToStderr(`pulling ${model} from ${llm.url}`);
    try {
      await llm.pull(model, {
        onProgress: (p) => (renderer ? renderer.update(p) : this.logJson(p)),
      });
    } finally {
      renderer?.finish();
    }
    this.log(`${ansis.green("✓")} pulled ${model}`);
    return { status: "success", model };
  }

  /** One compact object per line, so `--json` output is NDJSON (progress events, then the result). */
  override logJson(json: unknown): void {
    process.stdout.write(`${JSON.stringify(json)}\n`);
  }

  /** An Ollama that cannot be reached is a service that is down (exit 3), not a failed pull. */
  protected override async catch(err: Error & { exitCode?: number }): Promise<unknown> {
    const handled = await super.catch(err);
    if (isCortexError(err, ErrorCode.LlmUnavailable)) process.exitCode = ExitCode.StackDown;
    return handled;
  }
}
