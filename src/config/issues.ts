import type { z } from "zod";
import { redactUrl, redactUrlsIn } from "../core/redact-url.js";

/**
 * Turns zod issues into one-line, user-facing problems ("<key path>: expected X, got Y").
 * Messages are written for people editing YAML or environment variables, so they speak of
 * maps and lists rather than objects and arrays, and always say what was expected.
 */

type Issue = z.core.$ZodIssue;
type RawIssue = z.core.$ZodRawIssue;

export interface ConfigProblem {
  /** Where the problem is, as zod reports it (object keys and list indexes). */
  readonly path: PropertyKey[];
  /** Whether the problem is the key itself (unknown or malformed key) rather than its value. */
  readonly at: "key" | "value";
  /** The problem, already prefixed with its key path when it has one. */
  readonly text: string;
  /** True for a missing key, which is usually the echo of a misspelt key reported elsewhere. */
  readonly missing?: boolean;
}

/** Parse options that make zod keep inputs (for "got ...") and speak in YAML terms. */
export const parseParams = { reportInput: true, error: expectationFor } as const;

/** Fallback messages for issues whose schema did not set its own: always "expected ...". */
function expectationFor(iss: RawIssue): string | undefined {
  switch (iss.code) {
    case "invalid_type": {
      const keys = knownKeys(iss.inst);
      return keys.length > 0
        ? `expected a map with keys: ${keys.join(", ")}`
        : `expected ${typeNoun(iss.expected)}`;
    }
    case "too_small":
      if (iss.origin === "string" && Number(iss.minimum) === 1) return "expected a non-empty string";
      if (iss.origin === "array") return `expected a list of at least ${iss.minimum} item(s)`;
      return `expected a value ${iss.inclusive ? ">=" : ">"} ${iss.minimum}`;
    case "too_big":
      if (iss.origin === "array") return `expected a list of at most ${iss.maximum} item(s)`;
      return `expected a value ${iss.inclusive ? "<=" : "<"} ${iss.maximum}`;
    case "invalid_value":
      return `expected one of: ${iss.values.map((v) => String(v)).join(", ")}`;
    case "unrecognized_keys":
      return `expected one of: ${knownKeys(iss.inst).join(", ")}`;
    case "invalid_format":
      return iss.format === "regex" && iss.pattern ? `expected a string matching ${iss.pattern}` : undefined;
    default:
      return undefined;
  }
}

function typeNoun(expected: string): string {
  switch (expected) {
    case "object":
    case "record":
    case "map":
      return "a map";
    case "array":
    case "tuple":
      return "a list";
    case "int":
      return "an integer";
    case "string":
    case "number":
    case "boolean":
      return `a ${expected}`;
    default:
      return expected;
  }
}

function knownKeys(inst: unknown): string[] {
  const shape = (inst as { _zod?: { def?: { shape?: unknown } } } | undefined)?._zod?.def?.shape;
  return typeof shape === "object" && shape !== null ? Object.keys(shape) : [];
}

/** Flattens zod issues into problems, one per offending key or value. */
export function toProblems(issues: readonly Issue[]): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  for (const iss of issues) {
    const path = [...iss.path];
    if (iss.input === undefined && iss.code !== "unrecognized_keys" && iss.code !== "invalid_key") {
      problems.push({
        path,
        at: "value",
        missing: true,
        text: `${prefix(path)}required key is missing (${iss.message})`,
      });
      continue;
    }
    switch (iss.code) {
      case "unrecognized_keys":
        for (const key of iss.keys) {
          problems.push({
            path: [...path, key],
            at: "key",
            text: `${prefix(path)}unknown key ${JSON.stringify(key)} (${iss.message})`,
          });
        }
        break;
      case "invalid_key": {
        const parent = path.slice(0, -1);
        const inner = iss.issues[0]?.message ?? iss.message;
        problems.push({
          path,
          at: "key",
          text: `${prefix(parent)}key ${describeValue(iss.input)}: ${inner}`,
        });
        break;
      }
      case "custom": {
        // Cross-field refinements carry the whole object as input and say what is wrong themselves.
        const got = isPrimitive(iss.input) ? `, got ${describeValue(iss.input)}` : "";
        problems.push({ path, at: "value", text: `${prefix(path)}${iss.message}${got}` });
        break;
      }
      default:
        problems.push({
          path,
          at: "value",
          text: `${prefix(path)}${iss.message}, got ${describeValue(iss.input)}`,
        });
    }
  }
  return problems;
}

function prefix(path: readonly PropertyKey[]): string {
  return path.length === 0 ? "" : `${formatKeyPath(path)}: `;
}

const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** `topics."job.code.llm".timeout_seconds`, `rules[0].effect`: keys quoted when they hold dots or spaces. */
export function formatKeyPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const segment of path) {
    if (typeof segment === "number") {
      out += `[${segment}]`;
      continue;
    }
    const key = String(segment);
    const shown = PLAIN_KEY.test(key) ? key : JSON.stringify(key);
    out += out === "" ? shown : `.${shown}`;
  }
  return out;
}

function isPrimitive(value: unknown): boolean {
  return value !== undefined && (value === null || typeof value !== "object");
}

/** A value as the user typed it: strings quoted, collections named rather than dumped. */
export function describeValue(value: unknown): string {
  if (value === undefined) return "nothing";
  if (value === null) return "an empty value";
  if (typeof value === "string") {
    // A bad NATS_URL / REDIS_URL may hold a password: never echo it.
    const quoted = JSON.stringify(redactUrl(redactUrlsIn(value)));
    return quoted.length > 60 ? `${quoted.slice(0, 57)}..."` : quoted;
  }
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a map";
  return String(value);
}
