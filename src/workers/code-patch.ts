/**
 * The unified diff code-llm returns, built here from the original and the model's revised
 * code rather than asked of the model: a model-written diff often has wrong hunk counts,
 * while one computed by the `diff` package always applies (`git apply`, `patch -p1`).
 */
import { createTwoFilesPatch, FILE_HEADERS_ONLY } from "diff";

/** Lines of context around each hunk, as `git diff` uses. */
const CONTEXT_LINES = 3;

/** `a/<path>`-ready path: forward slashes, no leading `./` or `/` (git apply rejects absolute paths). */
export function patchPath(filePath: string): string {
  let p = filePath.replace(/\\/g, "/");
  for (;;) {
    const next = p.replace(/^\.\//, "").replace(/^\/+/, "");
    if (next === p) break;
    p = next;
  }
  return p === "" ? "file" : p;
}

/**
 * The model's code adjusted to the original's conventions, so the patch shows the change
 * asked for and not noise: CRLF files stay CRLF, and the final newline (present or not)
 * follows the original — models routinely drop or add one.
 */
export function alignRevision(original: string, revised: string): string {
  let out = revised.replace(/\r\n/g, "\n");
  if (original.includes("\r\n")) out = out.replace(/\n/g, "\r\n");
  const eol = original.includes("\r\n") ? "\r\n" : "\n";
  const originalEndsWithEol = original.endsWith("\n");
  if (originalEndsWithEol && !out.endsWith("\n")) out += eol;
  if (!originalEndsWithEol && original !== "") out = out.replace(/\r?\n$/, "");
  return out;
}

/** A git-style unified diff from `original` to `revised` with a/ b/ names; ends with a newline. */
export function buildUnifiedDiff(filePath: string, original: string, revised: string): string {
  const path = patchPath(filePath);
  const patch = createTwoFilesPatch(`a/${path}`, `b/${path}`, original, revised, undefined, undefined, {
    context: CONTEXT_LINES,
    headerOptions: FILE_HEADERS_ONLY,
  });
  return patch.endsWith("\n") ? patch : `${patch}\n`;
}
