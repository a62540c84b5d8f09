export { Scheduler } from "./scheduler.js";
export { noPoolReason, SAFETY_UNAVAILABLE_REASON } from "./submit-handler.js";
export type { SafetyChecker, SafetyDecision, SchedulerOptions } from "./types.js";
