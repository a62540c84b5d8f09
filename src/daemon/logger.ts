import pino, { type Logger } from "pino";

export type { Logger };

/**
 * JSON lines to stdout (the daemon's log file when started by `cortex up`). Asynchronous
 * so logging never blocks the hot path; flushed on exit by pino.
 */
export function createLogger(level: string): Logger {
  return pino(
    {
      level,
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.epochTime,
    },
    pino.destination({ sync: false }),
  );
}
