/**
 * Checks Ollama's bodies before the `ollama` package parses them. Its NDJSON parser skips
 * bad lines with a console.warn (which would corrupt `--json` output) and turns `{"error"}`
 * lines into plain Errors; this guard fails the stream with a typed error instead, and
 * reports every chunk so the caller can run an inactivity timer.
 */
import { OllamaProtocolError, OllamaStreamError } from "./wire-errors.js";

const SHOWN_CHARS = 120;

function checkLine(line: string): { done: boolean } {
  const text = line.trim();
  if (text === "") return { done: false };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new OllamaProtocolError(`a streamed line is not JSON: ${text.slice(0, SHOWN_CHARS)}`, {
      cause: err,
    });
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new OllamaProtocolError(`a streamed line is not a JSON object: ${text.slice(0, SHOWN_CHARS)}`);
  }
  const record = value as Record<string, unknown>;
  if (typeof record.error === "string") throw new OllamaStreamError(record.error);
  // chat/generate end with done:true, pull with status "success"
  return { done: record.done === true || record.status === "success" };
}

/** A pass-through for an NDJSON stream that fails on a bad line, an error line, or a missing end. */
export function ndjsonGuard(onChunk: () => void): TransformStream<Uint8Array, Uint8Array> {
  const decoder = new TextDecoder();
  let pending = "";
  let finished = false;
  const checkLines = (lines: string[]) => {
    for (const line of lines) if (checkLine(line).done) finished = true;
  };
  return new TransformStream({
    transform(chunk, controller) {
      onChunk();
      pending += decoder.decode(chunk, { stream: true });
      const lines = pending.split("\n");
      pending = lines.pop() ?? "";
      // checked before forwarding, so a bad line never reaches the package's parser
      checkLines(lines);
      controller.enqueue(chunk);
    },
    flush() {
      pending += decoder.decode();
      checkLines([pending]);
      if (!finished) throw new OllamaProtocolError("the stream ended before Ollama said it was done");
    },
  });
}

/** A pass-through that only reports chunks (for single-document answers). */
export function chunkWatcher(onChunk: () => void): TransformStream<Uint8Array, Uint8Array> {
  return new TransformStream({
    transform(chunk, controller) {
      onChunk();
      controller.enqueue(chunk);
    },
  });
}
