/** The LLM client: everything outside src/llm imports from here. */
export {
  createLlmClient,
  DEFAULT_REQUEST_TIMEOUT_MS,
  DEFAULT_RETRIES,
  DEFAULT_RETRY_BASE_MS,
} from "./client.js";
export { logLlmHealth } from "./log-health.js";
export { hasModel, withTag } from "./model-name.js";
export type {
  ChatMessage,
  ChatRequest,
  ChatResponse,
  LlmClient,
  LlmClientOptions,
  LlmHealth,
  LlmLogger,
  LlmUsage,
  PullOptions,
  PullProgress,
} from "./types.js";
