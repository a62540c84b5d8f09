/**
 * `--apply`: writes a reviewed patch into the file it was made for — only when the file is
 * still exactly what was sent for review, so an edit made while the workflow ran is never
 * overwritten. The file is replaced atomically (temp file + rename): it is either the old
 * content or the patched one, never half written.
 */
import { readFile, rename, stat, unlink, writeFile } from "node:fs/promises";
import { applyPatch } from "diff";
import { CortexError, ErrorCode } from "../core/errors.js";

export interface AppliedPatch {
  path: string;
  /** Bytes of the file after the patch. */
  bytes: number;
}

/**
 * Applies `patch` to `path` when the file's current content equals `originalCode` and the
 * patch applies to it cleanly; otherwise throws PATCH_CONFLICT and leaves the file untouched.
 */
export async function applyReviewedPatch(
  path: string,
  patch: string,
  originalCode: string,
): Promise<AppliedPatch> {
  let current: string;
  try {
    current = await readFile(path, "utf8");
  } catch (cause) {
    throw new CortexError(ErrorCode.PatchConflict, `cannot read ${path} to apply the patch`, {
      hint: "The file moved or was deleted; write the patch with --out and apply it by hand.",
      cause,
    });
  }
  if (current !== originalCode) {
    throw new CortexError(
      ErrorCode.PatchConflict,
      `${path} changed since it was sent for review; the patch was not applied`,
      {
        hint: "Run the review again on the file as it is now, or save the patch with --out and merge it by hand.",
        details: { path },
      },
    );
  }
  const patched = applyPatch(current, patch);
  if (patched === false) {
    throw new CortexError(
      ErrorCode.PatchConflict,
      `the patch does not apply to ${path}; nothing was changed`,
      {
        hint: "Save it with --out and inspect it (git apply --check).",
        details: { path },
      },
    );
  }
  const mode = (await stat(path)).mode;
  const temp = `${path}.cortex-${process.pid}.tmp`;
  try {
    await writeFile(temp, patched, { mode });
    await rename(temp, path);
  } catch (cause) {
    await unlink(temp).catch(() => undefined);
    throw new CortexError(ErrorCode.Internal, `could not write the patched ${path}`, {
      hint: "Check the directory's permissions and free space; the file itself was not changed.",
      cause,
    });
  }
  return { path, bytes: Buffer.byteLength(patched, "utf8") };
}
