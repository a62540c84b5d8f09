/**
 * The LLM client's public shapes. Workers, the planner and `cortex pull-model` depend on
 * these, never on the `ollama` package, so the transport can change behind them.
 */

export interface LlmUsage {
  prompt_tokens: number;
  completion_tokens: number;
  duration_ms: number;
}

export interface ChatMessage {
  role: "system" | "user" | "assistant";
  content: string;
}

export interface ChatRequest {
  /** Defaults to the client's model. */
  model?: string;
  messages: ChatMessage[];
  /** A JSON schema (or "json") for Ollama's structured output; the answer is then JSON text. */
  format?: object | "json";
  /** Aborting it aborts the HTTP request; the call then rejects with `signal.reason`. */
  signal?: AbortSignal;
  /** Longest silence allowed from Ollama, in ms; defaults to the client's requestTimeoutMs. */
  timeoutMs?: number;
  /** When set, the answer is streamed and each piece of text is passed here as it arrives. */
  onToken?: (text: string) => void;
}

export interface ChatResponse {
  /** The whole answer (all streamed tokens joined). */
  content: string;
  model: string;
  usage: LlmUsage;
}

export interface LlmHealth {
  url: string;
  reachable: boolean;
  /** Names of the models the server holds (as /api/tags lists them, e.g. "llama3:latest"). */
  models: string[];
  /** The client's configured model. */
  model: string;
  modelPresent: boolean;
  /** Why the server could not be asked, when it could not. */
  error?: string;
}

export interface PullProgress {
  status: string;
  digest?: string;
  total?: number;
  completed?: number;
}

export interface PullOptions {
  signal?: AbortSignal;
  onProgress?: (p: PullProgress) => void;
}

export interface LlmClient {
  readonly url: string;
  readonly model: string;
  /** Asks /api/tags; never throws (an unreachable server is reported in the result). */
  health(): Promise<LlmHealth>;
  chat(req: ChatRequest): Promise<ChatResponse>;
  pull(model: string, opts: PullOptions): Promise<void>;
}

/** The part of a pino logger the client uses; a pino Logger fits. */
export interface LlmLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

export interface LlmClientOptions {
  /** Ollama's base URL, e.g. http://127.0.0.1:11434 (OLLAMA_URL). */
  baseUrl: string;
  /** Default model (OLLAMA_MODEL). */
  model: string;
  /** Longest silence allowed from Ollama per request, in ms. Default 120000. */
  requestTimeoutMs?: number;
  /** Retries after a transient failure (timeout, refused/reset connection, HTTP 503). Default 3. */
  retries?: number;
  /** Ceiling of the first retry's backoff delay, in ms. Default 250. */
  retryBaseMs?: number;
  logger?: LlmLogger;
}
