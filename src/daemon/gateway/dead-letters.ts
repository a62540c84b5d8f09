/**
 * ListDeadLetters and RetryDeadLetter: the submits the scheduler could never admit, scoped
 * to the caller (a tenant-bound key sees its tenant's letters only; a letter without a tenant
 * is for admin keys), and their re-submit through the jobs layer.
 */
import { type DeadLetter, deadLetterNotFound, isDeadLetterId } from "../../core/dead-letter.js";
import type {
  DeadLetterInfo,
  ListDeadLettersRequest,
  ListDeadLettersResponse,
  RetryDeadLetterRequest,
  RetryDeadLetterResponse,
} from "../../gen/cortex/v1/api.js";
import { canSee, OPEN_PRINCIPAL, type Principal } from "./auth.js";
import { invalidArgument } from "./grpc-errors.js";
import type { QueryDeps } from "./job-queries.js";
import type { SubmitLimits } from "./submit-job.js";
import { shownDeadLetter, shownId } from "./tenant-ids.js";

export type DeadLetterDeps = QueryDeps & { limits: SubmitLimits };

export async function listDeadLetters(
  deps: DeadLetterDeps,
  req: ListDeadLettersRequest,
  principal: Principal = OPEN_PRINCIPAL,
): Promise<ListDeadLettersResponse> {
  const page = await deps.store.listDeadLetters({
    limit: req.limit,
    cursor: req.cursor,
    ...(principal.tenant === undefined ? {} : { tenant: principal.tenant }),
  });
  return {
    letters: page.letters.map((l) => shownDeadLetter(principal, deadLetterInfo(l))),
    nextCursor: page.nextCursor ?? "",
  };
}

export async function retryDeadLetter(
  deps: DeadLetterDeps,
  req: RetryDeadLetterRequest,
  principal: Principal = OPEN_PRINCIPAL,
): Promise<RetryDeadLetterResponse> {
  if (!isDeadLetterId(req.id))
    throw invalidArgument("id", "is not a dead-letter id", "Copy the id from `cortex dlq list`.");
  const letter = await deps.store.getDeadLetter(req.id);
  // Another tenant's letter answers as a missing one: its id tells the caller nothing.
  if (letter === undefined || !canSee(principal, letter.tenant)) throw deadLetterNotFound(req.id);
  const { job } = await deps.jobs.deadLetters.retry(letter, {
    maxContextBytes: deps.limits.maxContextBytes,
    live: (topic) => deps.liveTopic(topic),
    ...(principal.tenant === undefined ? {} : { tenant: principal.tenant }),
  });
  deps.logger.info({ id: letter.id, jobId: job.jobId }, "dead letter re-submitted");
  return { jobId: shownId(principal, job.jobId), traceId: job.traceId };
}

export function deadLetterInfo(l: DeadLetter): DeadLetterInfo {
  return {
    id: l.id,
    kind: l.kind,
    code: l.code,
    field: l.field,
    reason: l.reason,
    hint: l.hint,
    subject: l.subject,
    atMs: l.at_ms,
    jobId: l.job_id,
    topic: l.topic,
    traceId: l.trace_id,
    senderId: l.sender_id,
    tenant: l.tenant ?? "",
    packetBytes: l.packet_bytes,
    packetKept: l.packet_b64 !== undefined,
  };
}
