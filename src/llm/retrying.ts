/**
 * Runs one Ollama exchange with bounded retries: only transient failures are retried, and
 * never once output has reached the caller (a retry would repeat tokens it already saw).
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { Ollama } from "ollama";
import { backoffDelay } from "../core/backoff.js";
import { redactUrl } from "../core/redact-url.js";
import { type Attempt, openAttempt } from "./attempt.js";
import { classifyFailure, type FailureContext, isTransient, toCortexError } from "./failure.js";
import type { LlmLogger } from "./types.js";

const MAX_BACKOFF_MS = 5_000;

export interface ExchangeOptions {
  host: string;
  model: string;
  op: FailureContext["op"];
  streaming: boolean;
  timeoutMs: number;
  retries: number;
  retryBaseMs: number;
  signal: AbortSignal | undefined;
  logger: LlmLogger | undefined;
}

/** `delivered()` marks that output reached the caller, which rules out any further retry. */
export type ExchangeBody<T> = (ollama: Ollama, delivered: () => void) => Promise<T>;

export async function runExchange<T>(opts: ExchangeOptions, body: ExchangeBody<T>): Promise<T> {
  let delivered = false;
  const markDelivered = () => {
    delivered = true;
  };
  for (let attemptNo = 1; ; attemptNo++) {
    opts.signal?.throwIfAborted();
    const attempt: Attempt = openAttempt({
      host: opts.host,
      timeoutMs: opts.timeoutMs,
      signal: opts.signal,
      streaming: opts.streaming,
    });
    let failed = true;
    try {
      const value = await body(attempt.ollama, markDelivered);
      failed = false;
      return value;
    } catch (err) {
      // a cancelled call ends with the caller's own reason, whatever the transport made of it
      if (opts.signal?.aborted) throw opts.signal.reason;
      const failure = classifyFailure(err, attempt.timedOut);
      if (failure === undefined) throw err;
      if (isTransient(failure) && attemptNo <= opts.retries && !delivered) {
        const delayMs = backoffDelay(attemptNo, { baseMs: opts.retryBaseMs, maxMs: MAX_BACKOFF_MS });
        opts.logger?.warn(
          { url: redactUrl(opts.host), op: opts.op, attempt: attemptNo, failure: failure.kind, delayMs },
          "Ollama request failed; retrying",
        );
        await pause(delayMs, opts.signal);
        continue;
      }
      throw toCortexError(
        failure,
        {
          url: redactUrl(opts.host),
          model: opts.model,
          op: opts.op,
          timeoutMs: opts.timeoutMs,
          attempts: attemptNo,
        },
        err,
      );
    } finally {
      attempt.close(failed);
    }
  }
}

async function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  try {
    await sleep(ms, undefined, signal ? { signal } : undefined);
  } catch (err) {
    if (signal?.aborted) throw signal.reason;
    throw err;
  }
}
