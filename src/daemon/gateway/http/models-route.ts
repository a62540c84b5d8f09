/**
 * GET /api/v1/models: the models the configured Ollama holds (its /api/tags, asked through
 * the LLM client), for the dashboard's model choice. Ollama unreachable is a 503 with the
 * client's own message, never an empty list that looks like an answer.
 */
import type { FastifyInstance } from "fastify";
import { CortexError, ErrorCode } from "../../../core/errors.js";
import type { LlmHealth } from "../../../llm/index.js";

export const MODELS_ROUTE = "/api/v1/models";

export interface ModelsJson {
  url: string;
  /** The model a job gets when it names none (OLLAMA_MODEL). */
  default_model: string;
  default_present: boolean;
  models: string[];
}

export function registerModelsRoute(
  app: FastifyInstance,
  health: (() => Promise<LlmHealth>) | undefined,
): void {
  app.get(MODELS_ROUTE, async (): Promise<ModelsJson> => {
    if (!health)
      throw new CortexError(ErrorCode.LlmUnavailable, "this gateway has no LLM client configured", {
        hint: "Run the gateway with OLLAMA_URL set (the daemon does by default).",
      });
    const h = await health();
    if (!h.reachable)
      throw new CortexError(ErrorCode.LlmUnavailable, h.error ?? `Ollama at ${h.url} is not reachable`, {
        hint: "Start Ollama, or point OLLAMA_URL at it.",
      });
    return { url: h.url, default_model: h.model, default_present: h.modelPresent, models: h.models };
  });
}
