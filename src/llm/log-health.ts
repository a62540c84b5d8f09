/**
 * Asks Ollama once whether it is there and holds the model, so a missing model shows up in
 * the log when workers start, before the first LLM job fails.
 */
import type { LlmClient, LlmLogger } from "./types.js";

/** Logs Ollama's health once; never throws and never delays the caller. */
export function logLlmHealth(llm: LlmClient, logger: LlmLogger): void {
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
