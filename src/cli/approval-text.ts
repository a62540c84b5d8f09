/** How the CLI shows a job's approval: the `cortex approvals` table and `cortex job`'s lines. */
import ansis from "ansis";
import type { GatewayClient } from "../client/gateway-client.js";
import { CortexError, ErrorCode, isCortexError } from "../core/errors.js";
import type { ApprovalInfo, JobInfo } from "../gen/cortex/v1/api.js";
import { formatAge, matchesShortId, parseShortId, shortId } from "./job-text.js";
import { resolveJobId } from "./resolve-job-id.js";

export const APPROVALS_HEADERS = ["id", "topic", "tenant", "rule", "waiting for", "expires in", "approvers"];

/** A rule without an id is the policy's default rule. */
export function ruleName(approval: Pick<ApprovalInfo, "ruleId">): string {
  return approval.ruleId || "(default)";
}

/** Who may decide: the rule's approvers, or the job's own tenant (and admin keys). */
export function approversText(approval: ApprovalInfo, tenant: string): string {
  return approval.approvers.length > 0 ? approval.approvers.join(", ") : `tenant ${tenant}`;
}

export function approvalRow(job: JobInfo, now: number): string[] {
  const a = job.approval;
  if (!a) return [shortId(job.jobId), job.topic, job.tenant, "-", "-", "-", "-"];
  return [
    shortId(job.jobId),
    job.topic,
    job.tenant,
    ruleName(a),
    formatAge(now - (a.requestedAtMs || job.createdAtMs)),
    a.expiresAtMs > 0 ? formatAge(a.expiresAtMs - now) : "-",
    approversText(a, job.tenant),
  ];
}

export const NO_APPROVALS_TEXT = [
  "no jobs wait for approval",
  ansis.dim(
    "A job is held when a rule with `effect: require_approval` in config/safety.yaml matches its topic and tenant.",
  ),
].join("\n");

/** `cortex job`'s approval section: the request, then the decision once there is one. */
export function approvalLines(job: JobInfo): string[] {
  const a = job.approval;
  if (!a) return [];
  const ts = (ms: number) => (ms > 0 ? new Date(ms).toISOString() : "-");
  const lines = [
    "approval",
    `  rule       ${ruleName(a)}${a.ruleReason ? ansis.dim(` (${a.ruleReason})`) : ""}`,
    `  approvers  ${approversText(a, job.tenant)}`,
    `  requested  ${ts(a.requestedAtMs)}    expires ${ts(a.expiresAtMs)}`,
  ];
  if (a.decision) {
    lines.push(
      `  decision   ${a.decision}${a.decidedBy ? ` by ${a.decidedBy}` : ""} at ${ts(a.decidedAtMs)}`,
    );
    if (a.decisionReason) lines.push(`  why        ${a.decisionReason}`);
  } else {
    const id = shortId(job.jobId);
    lines.push(ansis.dim(`  decide with \`cortex approve ${id}\` or \`cortex reject ${id} --reason …\``));
  }
  return lines;
}

/** At most this many held jobs are searched for an id a job listing could not find. */
const HELD_SCAN_LIMIT = 1000;

/**
 * The held job a user means. An approver of another tenant does not see the job in its own
 * job listing, so an id the listing does not know is looked up among the held jobs it may decide.
 */
export async function resolveHeldJobId(client: GatewayClient, given: string): Promise<string> {
  try {
    return await resolveJobId(client, given);
  } catch (err) {
    if (!isCortexError(err, ErrorCode.JobNotFound)) throw err;
    const pattern = parseShortId(given);
    const held = await client.listApprovals({ limit: HELD_SCAN_LIMIT });
    const ids = held.approvals
      .map((a) => a.job?.jobId ?? "")
      .filter((id) => id === given || (id !== "" && matchesShortId(id, pattern)));
    const [only] = ids;
    if (only !== undefined && ids.length === 1) return only;
    if (ids.length > 1)
      throw new CortexError(ErrorCode.AmbiguousJobId, `job id ${given} matches ${ids.length} held jobs`, {
        hint: "Type more of the id.",
        cause: err,
      });
    throw err;
  }
}
