/** `cortex dlq` output: the snake_case JSON of the API (proto JSON names) and the table rows. */
import type { DeadLetterInfo } from "../gen/cortex/v1/api.js";
import { formatAge } from "./job-text.js";

export interface DeadLetterJson {
  id: string;
  kind: string;
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
  tenant: string;
  packet_bytes: number;
  packet_kept: boolean;
}

export function deadLetterJson(l: DeadLetterInfo): DeadLetterJson {
  return {
    id: l.id,
    kind: l.kind,
    code: l.code,
    field: l.field,
    reason: l.reason,
    hint: l.hint,
    subject: l.subject,
    at_ms: l.atMs,
    job_id: l.jobId,
    topic: l.topic,
    trace_id: l.traceId,
    sender_id: l.senderId,
    tenant: l.tenant,
    packet_bytes: l.packetBytes,
    packet_kept: l.packetKept,
  };
}

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
