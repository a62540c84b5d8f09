/** The HTTP API's JSON shapes the pages read (src/core/api-json.ts writes them; unset fields are absent). */
export interface Job {
  job_id: string;
  trace_id?: string;
  topic?: string;
  state?: string;
  tenant?: string;
  attempts?: number;
  worker_id?: string;
  reason?: string;
  priority?: string;
  parent_job_id?: string;
  workflow_id?: string;
  adapter_id?: string;
  waiting_reason?: string;
  step_index?: number;
  approval?: Approval;
  created_at_ms?: number;
  updated_at_ms?: number;
  scheduled_at_ms?: number;
  dispatched_at_ms?: number;
  started_at_ms?: number;
  finished_at_ms?: number;
}

/** A job's approval record (set once a rule held it). */
export interface Approval {
  rule_id?: string;
  rule_reason?: string;
  approvers?: string[];
  requested_at_ms?: number;
  expires_at_ms?: number;
  content_hash?: string;
  /** Absent while waiting; "approved", "rejected" or "expired". */
  decision?: string;
  decided_by?: string;
  decided_at_ms?: number;
  decision_reason?: string;
}

export interface ApprovalsPage {
  approvals: { job?: Job; context?: Json }[];
  next_cursor?: string;
}

export interface Trace {
  trace_id: string;
  jobs: Job[];
}

export type PolicyEffect = "allow" | "deny" | "require_approval";

export interface PolicyRule {
  id: string;
  effect: PolicyEffect;
  topics: string[];
  tenants?: string[];
  approvers?: string[];
  expires_after?: string | number;
  reason?: string;
}

export interface Policy {
  default_tenant: string;
  default_effect: PolicyEffect;
  rules: PolicyRule[];
}

export interface PolicyExplanation {
  topic: string;
  tenant: string;
  decision: string;
  effect: PolicyEffect;
  rule_id?: string;
  reason: string;
  default_applied: boolean;
  approvers?: string[];
  expires_after_ms?: number;
  checked: { rule_id: string; effect: PolicyEffect; matched: boolean; why: string }[];
}

export interface Models {
  url: string;
  default_model: string;
  default_present: boolean;
  models: string[];
}

export interface JobEvent {
  seq?: number;
  at_ms?: number;
  kind?: string;
  job_id?: string;
  trace_id?: string;
  topic?: string;
  from?: string;
  to?: string;
  worker_id?: string;
  reason?: string;
  tenant?: string;
  text?: string;
  dropped?: number;
  attempt?: number;
  error_code?: string;
  hint?: string;
}

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export interface JobDetail {
  job?: Job;
  result?: Json;
  context?: Json;
  events?: JobEvent[];
}

export interface JobsPage {
  jobs: Job[];
  next_cursor?: string;
}

export interface Worker {
  worker_id?: string;
  region?: string;
  type?: string;
  cpu_load?: number;
  gpu_utilization?: number;
  active_jobs?: number;
  capabilities?: string[];
  pool?: string;
  max_parallel_jobs?: number;
  last_seen_ms?: number;
}

export interface Pool {
  pool?: string;
  live_workers?: number;
  active_jobs?: number;
  capacity?: number;
  topics?: string[];
}

export interface Workers {
  workers: Worker[];
  pools: Pool[];
}

export interface Component {
  name?: string;
  state?: string;
  address?: string;
  pid?: number;
  started_at_ms?: number;
  detail?: string;
}

export interface Status {
  components?: Component[];
  version?: string;
  backend?: string;
  nats_connected?: boolean;
  redis_connected?: boolean;
  started_at_ms?: number;
}

export const TERMINAL_STATES = ["SUCCEEDED", "FAILED", "TIMEOUT", "DENIED", "CANCELLED"] as const;
export const JOB_STATES = [
  "PENDING",
  "AWAITING_APPROVAL",
  "SCHEDULED",
  "DISPATCHED",
  "RUNNING",
  ...TERMINAL_STATES,
] as const;

export function isTerminal(state: string | undefined): boolean {
  return (TERMINAL_STATES as readonly string[]).includes(state ?? "");
}
