import pino, { type Logger } from "pino";

export type { Logger };

/** Where an API key could sit in a logged object: options, env maps, request headers. */
const REDACTED_PATHS = [
  "apiKey",
  "*.apiKey",
  "api_key",
  "*.api_key",
  "API_KEY",
  "*.API_KEY",
  "CORTEX_API_KEY",
  "*.CORTEX_API_KEY",
  'headers["x-api-key"]',
  '*.headers["x-api-key"]',
  '*.*.headers["x-api-key"]',
];

/**
 * JSON lines to stdout (the daemon's log file when started by `cortex up`). Asynchronous
 * so logging never blocks the hot path; flushed on exit by pino.
 */
export function createLogger(level: string): Logger {
  return pino(
    {
      level,
      base: { pid: process.pid },
      // API keys never reach a log line, whatever object carries them.
      redact: { paths: REDACTED_PATHS, censor: "[redacted]" },
      timestamp: pino.stdTimeFunctions.epochTime,
    },
    pino.destination({ sync: false }),
  );
}
