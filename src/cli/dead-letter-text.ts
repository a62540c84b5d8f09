/** `cortex dlq list`'s table rows (its JSON is src/core/api-json.ts's, as the HTTP API's). */
import type { DeadLetterInfo } from "../gen/cortex/v1/api.js";
import { formatAge } from "./job-text.js";

export const DEAD_LETTER_HEADERS = ["id", "when", "code", "reason", "job id", "topic"];

/** Untrusted strings from the bus: one line each, bounded, so a table stays a table. */
function cell(s: string, max: number): string {
  const line = [...s].map((c) => (c < " " || c === "\u007f" ? " " : c)).join("");
  if (line === "") return "-";
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

export function deadLetterRow(l: DeadLetterInfo, now: number): string[] {
  return [
    l.id,
    `${formatAge(now - l.atMs)} ago`,
    l.code,
    cell(l.reason, 60),
    cell(l.jobId, 36),
    cell(l.topic, 32),
  ];
}
