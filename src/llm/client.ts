/**
 * createLlmClient: chat, pull and health against an Ollama server through the `ollama`
 * package, with per-request inactivity timeouts, cancellation that closes the HTTP
 * request, bounded retries of transient failures and CortexErrors that say what to do.
 */
import { CortexError, ErrorCode } from "../core/errors.js";
import { redactUrl } from "../core/redact-url.js";
import { parseChatAnswer, parseChatChunk, parseProgress, parseTagNames, usageOf } from "./answers.js";
import { hasModel } from "./model-name.js";
import { type ExchangeOptions, runExchange } from "./retrying.js";
import type {
  ChatRequest,
  ChatResponse,
  LlmClient,
  LlmClientOptions,
  LlmHealth,
  PullOptions,
} from "./types.js";
import { OllamaProtocolError } from "./wire-errors.js";

export const DEFAULT_REQUEST_TIMEOUT_MS = 120_000;
export const DEFAULT_RETRIES = 3;
export const DEFAULT_RETRY_BASE_MS = 250;
/** A health check answers "is it there?"; it should not wait as long as a generation may. */
const HEALTH_TIMEOUT_MS = 10_000;

function normaliseUrl(baseUrl: string): string {
  let parsed: URL;
  try {
    parsed = new URL(baseUrl);
  } catch (err) {
    throw new CortexError(ErrorCode.InvalidArgument, `not a URL: ${JSON.stringify(baseUrl)}`, {
      hint: "Set OLLAMA_URL to a URL like http://127.0.0.1:11434.",
      cause: err,
    });
  }
  return parsed.href.replace(/\/+$/, "");
}

function checkCount(name: string, value: number, min: number): number {
  if (!Number.isInteger(value) || value < min) {
    throw new CortexError(
      ErrorCode.InvalidArgument,
      `LLM client ${name} must be an integer >= ${min}, got ${value}`,
      {
        hint: `Pass a whole number >= ${min} as ${name}.`,
      },
    );
  }
  return value;
}

export function createLlmClient(opts: LlmClientOptions): LlmClient {
  const url = normaliseUrl(opts.baseUrl);
  const defaultModel = opts.model;
  const requestTimeoutMs = checkCount(
    "requestTimeoutMs",
    opts.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
    1,
  );
  const retries = checkCount("retries", opts.retries ?? DEFAULT_RETRIES, 0);
  const retryBaseMs = checkCount("retryBaseMs", opts.retryBaseMs ?? DEFAULT_RETRY_BASE_MS, 0);

  const exchange = (
    over: Pick<ExchangeOptions, "model" | "op" | "streaming" | "signal"> & Partial<ExchangeOptions>,
  ): ExchangeOptions => ({
    host: url,
    timeoutMs: requestTimeoutMs,
    retries,
    retryBaseMs,
    logger: opts.logger,
    ...over,
  });

  async function chat(req: ChatRequest): Promise<ChatResponse> {
    const model = req.model ?? defaultModel;
    const onToken = req.onToken;
    const startedAt = performance.now();
    const base = {
      model,
      messages: req.messages,
      ...(req.format === undefined ? {} : { format: req.format }),
    };
    const options = exchange({
      model,
      op: "chat",
      streaming: onToken !== undefined,
      signal: req.signal,
      ...(req.timeoutMs === undefined ? {} : { timeoutMs: checkCount("timeoutMs", req.timeoutMs, 1) }),
    });
    return runExchange(options, async (ollama, delivered) => {
      if (onToken === undefined) {
        const answer = parseChatAnswer(await ollama.chat({ ...base, stream: false }));
        return {
          content: answer.message.content,
          model: answer.model ?? model,
          usage: usageOf(answer, startedAt),
        };
      }
      const stream = await ollama.chat({ ...base, stream: true });
      let content = "";
      for await (const raw of stream) {
        const chunk = parseChatChunk(raw);
        const text = chunk.message?.content ?? "";
        if (text !== "") {
          content += text;
          delivered();
          onToken(text);
        }
        if (chunk.done === true) {
          return { content, model: chunk.model ?? model, usage: usageOf(chunk, startedAt) };
        }
      }
      throw new OllamaProtocolError("the stream ended before Ollama said it was done");
    });
  }

  async function pull(model: string, pullOpts: PullOptions): Promise<void> {
    const options = exchange({ model, op: "pull", streaming: true, signal: pullOpts.signal });
    await runExchange(options, async (ollama, delivered) => {
      const stream = await ollama.pull({ model, stream: true });
      for await (const raw of stream) {
        const progress = parseProgress(raw);
        delivered();
        pullOpts.onProgress?.(progress);
      }
    });
  }

  async function health(): Promise<LlmHealth> {
    const report = { url: redactUrl(url), model: defaultModel };
    try {
      const options = exchange({
        model: defaultModel,
        op: "health",
        streaming: false,
        signal: undefined,
        retries: 0,
        timeoutMs: Math.min(requestTimeoutMs, HEALTH_TIMEOUT_MS),
      });
      const models = await runExchange(options, async (ollama) => parseTagNames(await ollama.list()));
      return { ...report, reachable: true, models, modelPresent: hasModel(models, defaultModel) };
    } catch (err) {
      // a server that answered badly is there, just not healthy
      const reachable = err instanceof CortexError && err.code === ErrorCode.LlmBadResponse;
      const error = err instanceof CortexError ? err.message : String(err);
      return { ...report, reachable, models: [], modelPresent: false, error };
    }
  }

  // `url` is for display (logs, `pull-model`): requests use the unredacted one.
  return { url: redactUrl(url), model: defaultModel, health, chat, pull };
}
