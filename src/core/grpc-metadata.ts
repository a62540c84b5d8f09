/**
 * Trailing-metadata keys the gateway sets on every error it returns, so a client gets the
 * exact CortexError code and hint back instead of guessing from the gRPC status, and the
 * request key that carries the API key. In core, free of imports, because the gateway
 * (server half) and the client both use them and neither may import the other.
 */
export const ERROR_CODE_TRAILER = "cortex-error-code";
/** Binary (`-bin`) so a hint may hold any UTF-8 text; gRPC base64-encodes it on the wire. */
export const ERROR_HINT_TRAILER = "cortex-error-hint-bin";
/**
 * Request metadata on a SubmitJob the client sends again (its n-th call, n > 1, after
 * UNAVAILABLE or DEADLINE_EXCEEDED): the gateway then makes sure the first call's publish has
 * settled before it answers with the existing job.
 */
export const SUBMIT_ATTEMPT_METADATA = "x-cortex-submit-attempt";
/** Request metadata carrying the API key. */
export const API_KEY_METADATA = "x-api-key";
