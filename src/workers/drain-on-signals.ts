/**
 * Graceful shutdown for processes that run workers: the first SIGTERM/SIGINT drains every
 * runtime (jobs in flight finish or are handed back), a second one exits at once.
 * The daemon and `cortex worker start` call this; the runtime itself never touches signals.
 */
import type { Logger } from "pino";

export interface Drainable {
  readonly workerId: string;
  drain(): Promise<void>;
}

export interface DrainOnSignalsOptions {
  signals?: readonly NodeJS.Signals[];
  /** Called once every runtime has drained (default: process.exit(0)); a second signal calls exit(130). */
  exit?: (code: number) => void;
}

/** Installs the signal handlers; the returned function removes them. */
export function drainOnSignals(
  runtimes: readonly Drainable[],
  logger: Logger,
  opts: DrainOnSignalsOptions = {},
): () => void {
  const signals = opts.signals ?? ["SIGTERM", "SIGINT"];
  const exit = opts.exit ?? ((code: number) => process.exit(code));
  let draining = false;

  const onSignal = (signal: NodeJS.Signals): void => {
    if (draining) {
      logger.warn({ signal }, "second signal: exiting without waiting for jobs in flight");
      exit(130);
      return;
    }
    draining = true;
    logger.info({ signal, workers: runtimes.length }, "signal received: draining workers");
    void Promise.allSettled(runtimes.map((r) => r.drain())).then((results) => {
      results.forEach((r, i) => {
        if (r.status === "rejected")
          logger.error({ err: r.reason, workerId: runtimes[i]?.workerId }, "drain failed");
      });
      exit(results.every((r) => r.status === "fulfilled") ? 0 : 1);
    });
  };

  for (const s of signals) process.on(s, onSignal);
  return () => {
    for (const s of signals) process.off(s, onSignal);
  };
}
