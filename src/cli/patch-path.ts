/**
 * The path a patch names its file by, as `git diff` writes it: relative to the work-tree root
 * of the repository holding the file (so `git apply` works from the root, whatever the cwd
 * and however --file was spelled), or relative to the current directory outside a repo.
 */
import { existsSync } from "node:fs";
import { dirname, isAbsolute, join, relative, resolve, sep } from "node:path";

/** Pure: `absFile` relative to `root` (the work tree, or the cwd when there is none), `/`-separated. */
export function patchRelativePath(absFile: string, root: string): string {
  const rel = relative(root, absFile);
  // Outside the root (`../x` from the cwd): keep the absolute path rather than climb out.
  const path = rel === "" || rel.startsWith("..") || isAbsolute(rel) ? absFile : rel;
  return path.split(sep).join("/");
}

/** The nearest directory at or above `dir` holding `.git` (a directory, or a worktree's file). */
export function findWorkTreeRoot(dir: string): string | undefined {
  for (let d = dir, i = 0; i < 256; i += 1) {
    if (existsSync(join(d, ".git"))) return d;
    const parent = dirname(d);
    if (parent === d) return undefined;
    d = parent;
  }
  return undefined;
}

/** The name a patch of `file` (as given to --file) uses. */
export function patchPathOf(file: string, cwd: string = process.cwd()): string {
  const abs = resolve(cwd, file);
  return patchRelativePath(abs, findWorkTreeRoot(dirname(abs)) ?? cwd);
}
