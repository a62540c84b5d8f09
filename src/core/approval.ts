/**
 * Human approval of a held job (a `require_approval` rule): what is stored with the job while it
 * waits, what binds the decision to the job's content, and who may decide. Pure.
 */
import { createHash } from "node:crypto";
import { z } from "zod";
import { canonicalJson } from "./job-fingerprint.js";

export const APPROVAL_EXPIRED_REASON = "approval expired";

export const ApprovalDecision = { Approved: "approved", Rejected: "rejected", Expired: "expired" } as const;
export type ApprovalDecision = (typeof ApprovalDecision)[keyof typeof ApprovalDecision];

const approvalSchema = z.object({
  ruleId: z.string(),
  ruleReason: z.string(),
  approvers: z.array(z.string()),
  requestedAt: z.number(),
  expiresAt: z.number(),
  contentHash: z.string(),
  decision: z.enum(["approved", "rejected", "expired"]).optional(),
  decidedBy: z.string().optional(),
  decidedAt: z.number().optional(),
  decisionReason: z.string().optional(),
});

/** Stored with the job (JSON) from the hold on; the decision fields once someone decided. */
export type ApprovalRecord = z.infer<typeof approvalSchema>;

/** undefined when `json` is not an approval record (changed outside cortex). */
export function parseApprovalRecord(json: string): ApprovalRecord | undefined {
  try {
    const parsed = approvalSchema.safeParse(JSON.parse(json));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** What an approval is given for: the job's topic, context and env. A changed job is another job. */
export interface ApprovedContent {
  topic: string;
  context: Record<string, unknown>;
  envVars?: Record<string, string> | undefined;
}

export function approvalContentHash(content: ApprovedContent): string {
  const what = { topic: content.topic, context: content.context, envVars: content.envVars ?? {} };
  return createHash("sha256").update(canonicalJson(what)).digest("hex");
}

/** Who is deciding, as the gateway authenticated them. */
export interface Decider {
  /** The API key's name ("anonymous" without keys). */
  name: string;
  /** The tenant the key is bound to; undefined for an admin key (or no keys). */
  tenant: string | undefined;
  /** The gateway runs without API keys: there is no identity to check. */
  open: boolean;
}

/**
 * Why `decider` may not decide this job, or undefined when they may. A rule that names approvers
 * admits only those (by key name or bound tenant), even for the job's own tenant; without
 * approvers any key that may act for the job's tenant decides.
 */
export function approvalRefusal(
  approval: ApprovalRecord,
  jobTenant: string,
  decider: Decider,
): string | undefined {
  if (decider.open) return undefined;
  if (approval.approvers.length > 0) {
    const named =
      approval.approvers.includes(decider.name) ||
      (decider.tenant !== undefined && approval.approvers.includes(decider.tenant));
    return named
      ? undefined
      : `rule ${approval.ruleId || "(default)"} names its approvers (${approval.approvers.join(", ")}); key ${decider.name} is not one of them`;
  }
  if (decider.tenant !== undefined && decider.tenant !== jobTenant)
    return `key ${decider.name} may only act for tenant ${decider.tenant}`;
  return undefined;
}

/** Whether a key may see a held job it did not submit (it is one of the rule's approvers). */
export function isNamedApprover(approval: ApprovalRecord, decider: Decider): boolean {
  return (
    approval.approvers.includes(decider.name) ||
    (decider.tenant !== undefined && approval.approvers.includes(decider.tenant))
  );
}
