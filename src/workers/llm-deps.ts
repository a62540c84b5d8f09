/**
 * The LLM client of an LLM worker kind: the one in HandlerDeps, or one built from
 * OLLAMA_URL / OLLAMA_MODEL. At worker start it asks Ollama once whether it is there and
 * holds the model, so a missing model shows up in the log before the first job fails.
 */
import type { Logger } from "pino";
import { loadEnv } from "../config/env.js";
import { createLlmClient, type LlmClient } from "../llm/index.js";
import type { HandlerDeps } from "./handler.js";

export function llmClientFor(deps: HandlerDeps): LlmClient {
  if (deps.llm) return deps.llm;
  const env = deps.env ?? loadEnv(process.env);
  return createLlmClient({ baseUrl: env.OLLAMA_URL, model: env.OLLAMA_MODEL, logger: deps.logger });
}

/** Logs Ollama's health once; never throws and never delays the worker's start. */
export function logLlmHealth(llm: LlmClient, logger: Logger): void {
  void llm.health().then(
    (h) => {
      if (!h.reachable) {
        logger.warn(
          { url: h.url, model: h.model, error: h.error },
          `Ollama is not reachable at ${h.url}: LLM jobs will fail until it is (start Ollama or set OLLAMA_URL)`,
        );
      } else if (!h.modelPresent) {
        logger.warn(
          { url: h.url, model: h.model, models: h.models },
          `model ${h.model} is not on the Ollama server: run \`cortex pull-model ${h.model}\``,
        );
      } else {
        logger.info({ url: h.url, model: h.model }, "Ollama ready");
      }
    },
    (err: unknown) => logger.warn({ err }, "Ollama health check failed"),
  );
}
