/**
 * Settings a daemon reads once at startup, recorded in stack.json by `cortex up`: a later
 * `up` from a shell where they differ says so instead of silently keeping the old ones.
 * Only values cheap to compare and safe to keep on disk (URLs are redacted).
 */
import type { CortexConfig } from "../config/index.js";
import { POOLS_ENV_VAR } from "../config/pools.js";
import { SAFETY_ENV_VAR } from "../config/safety.js";
import { TIMEOUTS_ENV_VAR } from "../config/timeouts.js";
import { redactUrl } from "../core/redact-url.js";

export function daemonSettings(config: CortexConfig): Record<string, string> {
  const env = config.env;
  return {
    CORTEX_BACKEND: env.CORTEX_BACKEND,
    OLLAMA_URL: redactUrl(env.OLLAMA_URL),
    OLLAMA_MODEL: env.OLLAMA_MODEL,
    CORTEX_LOG_LEVEL: env.CORTEX_LOG_LEVEL,
    [POOLS_ENV_VAR]: config.paths.pools,
    [TIMEOUTS_ENV_VAR]: config.paths.timeouts,
    [SAFETY_ENV_VAR]: config.paths.safety,
  };
}

export interface ChangedSetting {
  name: string;
  running: string;
  here: string;
}

/** Settings recorded for the running daemon that differ here; none for an older stack.json. */
export function changedSettings(
  recorded: Readonly<Record<string, string>> | undefined,
  here: Readonly<Record<string, string>>,
): ChangedSetting[] {
  if (recorded === undefined) return [];
  return Object.entries(here).flatMap(([name, value]) => {
    const running = recorded[name];
    return running !== undefined && running !== value ? [{ name, running, here: value }] : [];
  });
}
