export { noPoolReason, SAFETY_UNAVAILABLE_REASON } from "../../jobs/index.js";
export { Scheduler } from "./scheduler.js";
export type { SafetyChecker, SafetyDecision, SchedulerOptions } from "./types.js";
