export { type Admitted, noPoolReason, SAFETY_UNAVAILABLE_REASON } from "./admission.js";
export type { AttemptEnd, Begin, EndState } from "./attempts.js";
export type { JobsDeps, JobsObserver, PolicyGate } from "./deps.js";
export { INLINE_RESULT_MAX_BYTES } from "./event-feed.js";
export { INLINE_CONTEXT_MAX_BYTES, jobRequestPacket, submitMsgId } from "./job-request.js";
export { JobLifecycle } from "./lifecycle.js";
export { localPolicy } from "./local-policy.js";
export { maxAttempts } from "./retry-policy.js";
