import { readFileSync } from "node:fs";
import { isAbsolute, relative, resolve } from "node:path";
import {
  type Document,
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  parseDocument,
  visit,
} from "yaml";
import { CortexError, ErrorCode } from "../core/errors.js";

/** A parsed YAML file that still knows where each value came from, for error messages. */
export interface YamlSource {
  /** Absolute path of the file. */
  readonly path: string;
  /** How the file is named in messages: relative to the working directory when under it. */
  readonly displayPath: string;
  /** The plain JS value of the document; `{}` for an empty file so missing keys are reported by name. */
  readonly data: unknown;
  /**
   * 1-based line of the node at `keyPath`: its key when `at` is "key" (or when the value is a
   * collection, whose own start may be lines away), its value otherwise. A path that does not
   * exist in the file resolves to the deepest ancestor that does, so a missing key points at its parent.
   */
  lineOf(keyPath: readonly PropertyKey[], at?: "key" | "value"): number;
}

/** Where a config file comes from, so errors can tell the user which knob to turn. */
export interface ConfigFileRef {
  path: string;
  envVar: string;
}

export function displayPathOf(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel === "" || rel.startsWith("..") || isAbsolute(rel) ? path : rel;
}

export function invalidConfigHint(envVar: string): string {
  return `Fix the file or point ${envVar} at another one.`;
}

export function readYamlFile(ref: ConfigFileRef): YamlSource {
  const path = resolve(ref.path);
  const displayPath = displayPathOf(path);
  const text = readText(path, displayPath, ref.envVar);
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const lineAt = (offset: number): number => Math.max(1, lineCounter.linePos(offset).line);

  const syntaxError = doc.errors[0];
  if (syntaxError) {
    throw new CortexError(
      ErrorCode.ConfigInvalid,
      `${displayPath}:${lineAt(syntaxError.pos[0])}: invalid YAML: ${firstLine(syntaxError.message)}`,
      {
        hint: invalidConfigHint(ref.envVar),
        cause: syntaxError,
        details: { path, yamlCode: syntaxError.code },
      },
    );
  }

  let data: unknown;
  try {
    data = doc.contents === null ? {} : doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    // toJS throws for aliases to missing anchors and alias bombs; neither carries a position.
    const line = unresolvedAliasLine(doc, lineAt) ?? 1;
    throw new CortexError(
      ErrorCode.ConfigInvalid,
      `${displayPath}:${line}: invalid YAML: ${firstLine(err instanceof Error ? err.message : String(err))}`,
      { hint: invalidConfigHint(ref.envVar), cause: err, details: { path } },
    );
  }

  return {
    path,
    displayPath,
    data,
    lineOf: (keyPath, at = "value") => lineOfPath(doc, keyPath, at, lineAt),
  };
}

function readText(path: string, displayPath: string, envVar: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT") {
      throw new CortexError(ErrorCode.ConfigNotFound, `${displayPath}: config file not found`, {
        hint: `Create the file, or point ${envVar} at an existing one (unset it to use the shipped default).`,
        cause: err,
        details: { path },
      });
    }
    throw new CortexError(
      ErrorCode.ConfigInvalid,
      `${displayPath}: cannot read config file (${code ?? "error"})`,
      {
        hint: `Check the file's permissions, or point ${envVar} at another one.`,
        cause: err,
        details: { path },
      },
    );
  }
}

function lineOfPath(
  doc: Document.Parsed,
  keyPath: readonly PropertyKey[],
  at: "key" | "value",
  lineAt: (offset: number) => number,
): number {
  let node: unknown = doc.contents;
  const docStart = rangeStart(node);
  let line = docStart === undefined ? 1 : lineAt(docStart);
  for (const segment of keyPath) {
    let next: unknown;
    let keyLine: number | undefined;
    if (isMap(node)) {
      const pair = node.items.find(
        (p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(segment),
      );
      if (!pair) return line;
      const keyStart = rangeStart(pair.key);
      if (keyStart !== undefined) keyLine = lineAt(keyStart);
      next = pair.value;
    } else if (isSeq(node) && typeof segment === "number") {
      next = node.items[segment];
    } else {
      return line;
    }
    const start = rangeStart(next);
    if (start === undefined) return keyLine ?? line;
    line = keyLine ?? lineAt(start);
    node = next;
  }
  if (at === "key" || !isScalar(node)) return line;
  const start = rangeStart(node);
  return start === undefined ? line : lineAt(start);
}

function rangeStart(node: unknown): number | undefined {
  if (typeof node !== "object" || node === null || !("range" in node)) return undefined;
  const range = (node as { range?: unknown }).range;
  return Array.isArray(range) && typeof range[0] === "number" ? range[0] : undefined;
}

function unresolvedAliasLine(doc: Document.Parsed, lineAt: (offset: number) => number): number | undefined {
  let found: number | undefined;
  visit(doc, {
    Alias(_key, node) {
      if (isAlias(node) && node.resolve(doc) === undefined) {
        const start = rangeStart(node);
        if (start !== undefined) found = lineAt(start);
        return visit.BREAK;
      }
      return undefined;
    },
  });
  return found;
}

function firstLine(message: string): string {
  return message.split("\n", 1)[0]?.trim() ?? message;
}
