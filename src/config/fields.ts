import { z } from "zod";
import { isValidTopic } from "../core/subjects.js";

/** Field schemas shared by the config files, each with the message a user sees when it fails. */

export const positiveInt = () =>
  z.int({ error: "expected a positive integer" }).positive({ error: "expected a positive integer" });

export const nonNegativeInt = () =>
  z
    .int({ error: "expected a non-negative integer" })
    .nonnegative({ error: "expected a non-negative integer" });

export const nonEmptyString = () =>
  z.string({ error: "expected a non-empty string" }).min(1, { error: "expected a non-empty string" });

/** A job topic as the gateway accepts it: the key of a routing or timeout entry. */
export const topicName = () =>
  z.string().refine(isValidTopic, {
    error: "expected a topic (dot-separated tokens of letters, digits, _ and -, e.g. job.echo)",
  });

const NAME_RE = /^[A-Za-z0-9_-]+$/;

const TENANT_RE = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
const TENANT_ERROR =
  "expected a tenant name (up to 64 letters, digits, _ and -, starting with a letter or digit)";

/** A bound key's tenant prefixes its job ids (`<tenant>~<id>`), so it keeps to the id charset. */
export const tenantName = () => z.string({ error: TENANT_ERROR }).regex(TENANT_RE, { error: TENANT_ERROR });

/** Pool names become a subject token (`sys.heartbeat.<pool>`), so they hold no dots or wildcards. */
export const poolName = () =>
  z
    .string({ error: "expected a pool name (letters, digits, _ and -)" })
    .regex(NAME_RE, { error: "expected a pool name (letters, digits, _ and -)" });

export const workflowName = () =>
  z.string().regex(NAME_RE, { error: "expected a workflow name (letters, digits, _ and -)" });

const TOKEN_RE = /^[A-Za-z0-9_-]+$/;

/** A NATS-style topic pattern: `*` matches one token, `>` (last token only) matches the rest. */
export function isValidTopicPattern(pattern: string): boolean {
  if (pattern.length === 0 || pattern.length > 255) return false;
  const tokens = pattern.split(".");
  return tokens.every((t, i) => TOKEN_RE.test(t) || t === "*" || (t === ">" && i === tokens.length - 1));
}

export const topicPattern = () =>
  z
    .string({ error: "expected a topic pattern (e.g. sys.destroy, job.*, job.>)" })
    .refine(isValidTopicPattern, { error: "expected a topic pattern (e.g. sys.destroy, job.*, job.>)" });
