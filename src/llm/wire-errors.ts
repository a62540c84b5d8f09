/**
 * What can go wrong on the wire, as typed values, so the client classifies failures by
 * type and status code and never by the text of a message. Internal to src/llm: callers
 * only ever see CortexErrors.
 */

/** Ollama answered with a non-2xx status; `serverMessage` is its `{"error": …}` text. */
export class OllamaHttpError extends Error {
  override readonly name = "OllamaHttpError";
  constructor(
    readonly status: number,
    readonly serverMessage: string,
  ) {
    super(`HTTP ${status}: ${serverMessage}`);
  }
}

/** A streamed answer carried an `{"error": …}` line (Ollama reports late failures that way). */
export class OllamaStreamError extends Error {
  override readonly name = "OllamaStreamError";
  constructor(readonly serverMessage: string) {
    super(serverMessage);
  }
}

/** The body was not what Ollama sends: not JSON, the wrong shape, or cut off before done. */
export class OllamaProtocolError extends Error {
  override readonly name = "OllamaProtocolError";
}

/** The reason an attempt's request is aborted with when Ollama stayed silent too long. */
export class OllamaSilenceTimeout extends Error {
  override readonly name = "OllamaSilenceTimeout";
  constructor(readonly timeoutMs: number) {
    super(`no data from Ollama for ${timeoutMs} ms`);
  }
}
