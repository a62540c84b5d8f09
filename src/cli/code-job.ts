/**
 * What the commands that send a source file and get a patch back (`cortex submit code`,
 * `cortex submit code-review`) share: the job context built from --file, --instruction and
 * --language; the unified diff taken from the result; --out and the printed diff. The diff
 * alone goes to stdout, everything else to stderr, so `> fix.patch` works.
 */
import { writeFile } from "node:fs/promises";
import { loadEnv } from "../config/env.js";
import { CortexError, ErrorCode } from "../core/errors.js";
import { languageOf, readCodeFile } from "./code-file.js";
import { formatDiff } from "./diff-print.js";
import { patchPathOf } from "./patch-path.js";

/** The parts of an oclif command the flows print through. */
export interface CommandIo {
  log(message?: string): void;
  logToStderr(message?: string): void;
  jsonEnabled(): boolean;
}

export interface CodeJobFlags {
  file: string;
  instruction: string;
  language?: string | undefined;
}

/** The context the code workers read; `code` is the file as read, for checks after the job. */
export async function codeJobContext(
  flags: CodeJobFlags,
): Promise<{ code: string; context: Record<string, unknown> }> {
  const env = loadEnv(process.env);
  const code = await readCodeFile(flags.file, env.CORTEX_MAX_CONTEXT_BYTES);
  const language = flags.language ?? languageOf(flags.file);
  const context = {
    // The patch names the file by this path, so it is the one `git apply` wants.
    file_path: patchPathOf(flags.file),
    code_snippet: code,
    instruction: flags.instruction,
    ...(language ? { language } : {}),
  };
  return { code, context };
}

/** A result document that carries a patch (code-llm's, or the code-review workflow's). */
export interface PatchResult {
  patch?: { type?: unknown; content?: unknown };
}

/**
 * The unified diff of a job that succeeded; a success without one is the worker's fault,
 * so it is an internal error whose hint says where to look.
 */
export function unifiedDiffOf(result: PatchResult, missing: { message: string; hint: string }): string {
  const patch = result.patch?.type === "unified_diff" ? result.patch.content : undefined;
  if (typeof patch !== "string")
    throw new CortexError(ErrorCode.Internal, missing.message, { hint: missing.hint });
  return patch;
}

export interface DeliverPatchOptions {
  /** --out: write the patch there. */
  out?: string | undefined;
  /** Print the diff and notes (false with --json). */
  human: boolean;
  /** A line about the patch for stderr, printed after the diff. */
  note?: string | undefined;
}

/** Writes --out (and then only says where), or (for humans) prints the diff; then the note. */
export async function deliverPatch(
  io: CommandIo,
  patch: string,
  opts: DeliverPatchOptions,
): Promise<{ patch_file?: string }> {
  if (opts.out !== undefined) await writeFile(opts.out, patch);
  if (opts.human) {
    if (opts.out === undefined) io.log(formatDiff(patch).replace(/\n$/, ""));
    if (opts.note !== undefined) io.logToStderr(opts.note);
    if (opts.out !== undefined) io.logToStderr(`patch written to ${opts.out}`);
  }
  return opts.out === undefined ? {} : { patch_file: opts.out };
}
