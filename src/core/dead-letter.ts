/**
 * A dead letter: a submit on sys.job.submit that could never be admitted, kept (store) and
 * published (sys.job.dlq) as this document. snake_case, as published, so the stored JSON, the
 * bus message and `cortex dlq list --json` read the same.
 */
import { randomBytes } from "node:crypto";
import { CortexError, ErrorCode } from "./errors.js";

export interface DeadLetter {
  /** Sorts by time (see newDeadLetterId), so stores list newest first by id. */
  id: string;
  kind: "submit_rejected";
  code: string;
  field: string;
  reason: string;
  hint: string;
  subject: string;
  at_ms: number;
  job_id: string;
  topic: string;
  trace_id: string;
  sender_id: string;
  /** From the request's env_vars; "" when the sender named none (then only admin keys see it). */
  tenant: string;
  packet_bytes: number;
  /** The original packet, absent when it was too large to copy. */
  packet_b64?: string;
}

export interface DeadLetterQuery {
  limit?: number;
  /** The last id of the previous page. */
  cursor?: string;
  /** Only letters of this tenant; undefined = all. */
  tenant?: string;
}

export interface DeadLetterPage {
  letters: DeadLetter[];
  nextCursor?: string;
}

export const DEAD_LETTER_DEFAULT_LIMIT = 50;
export const DEAD_LETTER_MAX_LIMIT = 1_000;
/** Letters kept at most; the oldest go first. */
export const DEAD_LETTER_DEFAULT_MAX = 1_000;

const ID_RE = /^dl-[0-9a-z]{9}-[0-9a-f]{8}$/;

/**
 * `dl-<ms, base36, 9 digits>-<8 hex>`: lexical order is time order, and it is safe in keys.
 * `tag` (8 hex) makes the id repeatable; random otherwise.
 */
export function newDeadLetterId(atMs: number, tag?: string): string {
  const suffix = tag !== undefined && /^[0-9a-f]{8}$/.test(tag) ? tag : randomBytes(4).toString("hex");
  return `dl-${Math.max(0, Math.floor(atMs)).toString(36).padStart(9, "0")}-${suffix}`;
}

export function isDeadLetterId(id: string): boolean {
  return ID_RE.test(id);
}

export function deadLetterNotFound(id: string): CortexError {
  return new CortexError(ErrorCode.DeadLetterNotFound, `dead letter ${id} not found`, {
    hint: "List them with `cortex dlq list`; letters are kept for the job retention period.",
    details: { id },
  });
}

/** The page size asked for, bounded; a cursor that is not a letter id is INVALID_ARGUMENT. */
export function checkDeadLetterQuery(q: DeadLetterQuery): { limit: number; cursor: string | undefined } {
  const limit = Math.min(
    Math.max(Math.floor(q.limit ?? 0), 0) || DEAD_LETTER_DEFAULT_LIMIT,
    DEAD_LETTER_MAX_LIMIT,
  );
  const cursor = q.cursor === "" ? undefined : q.cursor;
  if (cursor !== undefined && !isDeadLetterId(cursor)) {
    throw new CortexError(ErrorCode.InvalidArgument, "cursor: not a cursor from a dead-letter listing", {
      hint: "Pass the next_cursor of the previous page as it was, or leave it out to start over.",
      details: { field: "cursor" },
    });
  }
  return { limit, cursor };
}

/** A stored body as a letter; undefined when it is not one (skipped by listings). */
export function parseDeadLetter(body: string): DeadLetter | undefined {
  try {
    const v = JSON.parse(body) as Partial<DeadLetter> | null;
    return v && typeof v.id === "string" && typeof v.at_ms === "number" ? (v as DeadLetter) : undefined;
  } catch {
    return undefined;
  }
}
