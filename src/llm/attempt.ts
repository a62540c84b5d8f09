/**
 * One HTTP attempt against Ollama: an `ollama` client whose fetch is bound to this
 * attempt's AbortController, so the caller's signal and an inactivity timer both abort
 * the request (closing its socket) even for calls the package makes without a signal.
 */
import { Ollama } from "ollama";
import { chunkWatcher, ndjsonGuard } from "./ndjson-guard.js";
import { OllamaHttpError, OllamaSilenceTimeout } from "./wire-errors.js";

export interface AttemptOptions {
  host: string;
  /** Longest silence (no headers, no body bytes) before the request is aborted. */
  timeoutMs: number;
  signal: AbortSignal | undefined;
  /** The body is NDJSON (stream: true) rather than one JSON document. */
  streaming: boolean;
}

export interface Attempt {
  readonly ollama: Ollama;
  /** The inactivity timer fired (the request was aborted because Ollama went silent). */
  readonly timedOut: boolean;
  /** Stops the timer; after a failure also aborts the request so no socket is left open. */
  close(failed: boolean): void;
}

async function httpErrorOf(res: Response): Promise<OllamaHttpError> {
  let text = "";
  try {
    text = await res.text();
  } catch {
    // the status alone still says what happened
  }
  let message = text.trim() || res.statusText || "no message";
  try {
    const parsed: unknown = JSON.parse(text);
    if (
      typeof parsed === "object" &&
      parsed !== null &&
      "error" in parsed &&
      typeof parsed.error === "string"
    ) {
      message = parsed.error;
    }
  } catch {
    // not JSON (e.g. a proxy's HTML page): keep the text
  }
  return new OllamaHttpError(res.status, message);
}

export function openAttempt(opts: AttemptOptions): Attempt {
  const controller = new AbortController();
  let timedOut = false;
  let timer: NodeJS.Timeout | undefined;
  const touch = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      timedOut = true;
      controller.abort(new OllamaSilenceTimeout(opts.timeoutMs));
    }, opts.timeoutMs);
  };
  const onCallerAbort = () => controller.abort(opts.signal?.reason);
  if (opts.signal?.aborted) controller.abort(opts.signal.reason);
  else opts.signal?.addEventListener("abort", onCallerAbort, { once: true });
  touch();

  const boundFetch: typeof fetch = async (input, init) => {
    const res = await fetch(input, { ...init, signal: controller.signal });
    touch();
    // thrown here, before the package's own check, which logs to the console for non-JSON bodies
    if (!res.ok) throw await httpErrorOf(res);
    if (res.body === null) return res;
    const body = res.body.pipeThrough(opts.streaming ? ndjsonGuard(touch) : chunkWatcher(touch));
    return new Response(body, { status: res.status, statusText: res.statusText, headers: res.headers });
  };

  return {
    ollama: new Ollama({ host: opts.host, fetch: boundFetch }),
    get timedOut() {
      return timedOut;
    },
    close(failed) {
      clearTimeout(timer);
      opts.signal?.removeEventListener("abort", onCallerAbort);
      if (failed && !controller.signal.aborted) controller.abort(new Error("attempt failed"));
    },
  };
}
