/**
 * The one call code outside the safety kernel needs from it: allow or deny a job's topic for
 * a tenant. The gRPC safety client implements it; workers get one injected, so they never
 * open channels themselves.
 */
export interface PolicyCheckRequest {
  jobId: string;
  topic: string;
  tenant: string;
}

export interface PolicyVerdict {
  decision: "ALLOW" | "DENY";
  reason: string;
}

export interface PolicyChecker {
  /** Rejects (e.g. SAFETY_UNAVAILABLE) when no answer came; callers choose fail-open or closed. */
  check(req: PolicyCheckRequest): Promise<PolicyVerdict>;
}
