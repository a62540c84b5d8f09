import { fstatSync, statSync } from "node:fs";
import pino, { type DestinationStream, type Logger } from "pino";
import type { CortexEnv } from "../config/env.js";
import { rotatedLogFiles } from "../core/log-files.js";
import { type LogRotation, rotatingLogDestination } from "./rotating-log.js";
import { resolveHome } from "./supervisor/home.js";

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

/** Where the lines go: the daemon log (rotated by size) when stdout is one of its files, else stdout. */
export interface LogFile extends LogRotation {
  path: string;
}

/** This home's daemon log and its rotation (CORTEX_LOG_MAX_BYTES, CORTEX_LOG_FILES). */
export function daemonLogFile(
  env: Pick<CortexEnv, "CORTEX_HOME" | "CORTEX_LOG_MAX_BYTES" | "CORTEX_LOG_FILES">,
): LogFile {
  return {
    path: resolveHome({ CORTEX_HOME: env.CORTEX_HOME }).daemonLog,
    maxBytes: env.CORTEX_LOG_MAX_BYTES,
    files: env.CORTEX_LOG_FILES,
  };
}

/**
 * The log file to rotate, when stdout is that file (or one of its rotated generations: a
 * daemon the supervisor restarts inherits the fd it opened before a rotation). A daemon
 * in the foreground, stdout a terminal or a pipe, logs to stdout as before.
 */
export function logFileFromStdout(file: LogFile, fd = 1): LogFile | undefined {
  try {
    const out = fstatSync(fd);
    if (!out.isFile()) return undefined;
    for (const path of rotatedLogFiles(file.path, file.files)) {
      try {
        const st = statSync(path);
        if (st.ino === out.ino && st.dev === out.dev) return file;
      } catch {
        // that generation does not exist
      }
    }
  } catch {
    // fd closed
  }
  return undefined;
}

/**
 * JSON lines to stdout, or to the daemon's rotated log file (see logFileFromStdout).
 * Asynchronous so logging never blocks the hot path; flushed on exit by pino.
 */
export function createLogger(level: string, file?: LogFile): Logger {
  const destination: DestinationStream = file
    ? rotatingLogDestination(file.path, file)
    : pino.destination({ sync: false });
  return pino(
    {
      level,
      base: { pid: process.pid },
      // API keys never reach a log line, whatever object carries them.
      redact: { paths: REDACTED_PATHS, censor: "[redacted]" },
      timestamp: pino.stdTimeFunctions.epochTime,
    },
    destination,
  );
}
