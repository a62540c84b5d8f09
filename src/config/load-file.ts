import type { z } from "zod";
import { CortexError, ErrorCode } from "../core/errors.js";
import { parseParams, toProblems } from "./issues.js";
import { type ConfigFileRef, invalidConfigHint, readYamlFile } from "./yaml-source.js";

/**
 * Reads a YAML file and validates it against `schema`, or throws CONFIG_INVALID with one line:
 * `<file>:<line>: <key path>: <what was expected>, got <value>`. When a file has several
 * problems the first (by line) is named and the rest are counted; all are in `details.problems`.
 * Missing keys sort last: a misspelt key also makes its real name "missing", and the
 * misspelling is the one worth showing.
 */
export function loadYamlConfig<S extends z.ZodType>(ref: ConfigFileRef, schema: S): z.output<S> {
  const source = readYamlFile(ref);
  const result = schema.safeParse(source.data, parseParams);
  if (result.success) return result.data;

  const located = toProblems(result.error.issues)
    .map((p) => ({ line: source.lineOf(p.path, p.at), text: p.text, rank: p.missing ? 1 : 0 }))
    .sort((a, b) => a.rank - b.rank || a.line - b.line);
  const lines = located.map((p) => `${source.displayPath}:${p.line}: ${p.text}`);
  const more =
    lines.length > 1 ? ` (and ${lines.length - 1} more problem${lines.length > 2 ? "s" : ""})` : "";
  throw new CortexError(ErrorCode.ConfigInvalid, `${lines[0] ?? `${source.displayPath}: invalid`}${more}`, {
    hint: invalidConfigHint(ref.envVar),
    cause: result.error,
    details: { path: source.path, problems: lines },
  });
}
