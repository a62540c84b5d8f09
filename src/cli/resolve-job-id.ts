/**
 * The job a user means by the id they typed: a full id, a unique prefix (as git and docker
 * take them) or a short form `cortex jobs` printed (`1b8a35ad…-s-patch-1`: prefix and
 * suffix). The gateway's ListJobs id_prefix does the lookup, in the caller's tenant.
 */

import type { GatewayClient } from "../client/gateway-client.js";
import { CortexError, ErrorCode } from "../core/errors.js";
import type { JobInfo } from "../gen/cortex/v1/api.js";
import { formatAge, jobAgeMs, matchesShortId, parseShortId } from "./job-text.js";

/** Candidates listed when a prefix is ambiguous; more are counted, not shown. */
const MAX_CANDIDATES = 10;
/** Ids with the prefix read to find suffix matches; a prefix this loose is ambiguous anyway. */
const SCAN_LIMIT = 200;

export async function resolveJobId(client: GatewayClient, given: string): Promise<string> {
  const pattern = parseShortId(given);
  if (pattern.prefix === "") {
    throw new CortexError(ErrorCode.InvalidArgument, `"${given}" names no job`, {
      hint: "Pass a job id or its first characters, as `cortex jobs` shows them.",
    });
  }
  const res = await client.listJobs({ idPrefix: pattern.prefix, limit: SCAN_LIMIT });
  // An id typed in full wins over longer ids that start with it.
  const exact = res.jobs.find((j) => j.jobId === given);
  if (exact) return exact.jobId;
  const matches = res.jobs.filter((j) => matchesShortId(j.jobId, pattern));
  const [only] = matches;
  if (only && matches.length === 1) return only.jobId;
  if (matches.length === 0) {
    throw new CortexError(ErrorCode.JobNotFound, `job ${given} not found`, {
      hint: "Check the id with `cortex jobs`; finished jobs are forgotten after the retention period.",
      details: { jobId: given },
    });
  }
  throw ambiguous(given, matches, res.nextCursor !== "");
}

function ambiguous(given: string, matches: JobInfo[], more: boolean): CortexError {
  const now = Date.now();
  const rows = matches
    .slice(0, MAX_CANDIDATES)
    .map((j) => `  ${j.jobId}  ${j.topic}  ${j.state}  ${formatAge(jobAgeMs(j, now))}`);
  const left = matches.length - MAX_CANDIDATES;
  if (left > 0 || more) rows.push(`  … and ${more ? "more" : left}`);
  return new CortexError(
    ErrorCode.AmbiguousJobId,
    `job id ${given} matches ${more ? "more than " : ""}${matches.length} jobs:\n${rows.join("\n")}`,
    {
      hint: "Type more of the id.",
      details: { jobId: given, candidates: matches.slice(0, MAX_CANDIDATES).map((j) => j.jobId) },
    },
  );
}
