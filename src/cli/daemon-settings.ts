/**
 * Settings a daemon reads once at startup, recorded in stack.json by `cortex up`: a later
 * `up` from a shell where they differ says so instead of silently keeping the old ones.
 * Only values cheap to compare and safe to keep on disk (URLs are redacted).
 */
import { isAbsolute, relative } from "node:path";
import type { CortexConfig } from "../config/index.js";
import { POOLS_ENV_VAR } from "../config/pools.js";
import { SAFETY_ENV_VAR } from "../config/safety.js";
import { TIMEOUTS_ENV_VAR } from "../config/timeouts.js";
import { CortexError, ErrorCode } from "../core/errors.js";
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

/**
 * `up --worker M` while the stack runs: a daemon loads its handler modules once, at start,
 * so a module it was not started with would silently not run. Undefined when stack.json does
 * not record the modules (a stack started by an older cortex): nothing to compare. The
 * restart it suggests keeps the `--worker` modules the daemon runs (those not in `fromPools`).
 */
export function unloadedWorkerModules(
  requested: readonly string[],
  loaded: readonly string[] | undefined,
  fromPools: readonly string[] = [],
): CortexError | undefined {
  if (loaded === undefined) return undefined;
  const missing = requested.filter((m) => !loaded.includes(m));
  if (missing.length === 0) return undefined;
  const shown = missing.map(shownPath);
  const list = shown.join(", ");
  const kept = loaded.filter((m) => !fromPools.includes(m)).map(shownPath);
  const flags = [...kept, ...shown].map((m) => `--worker ${m}`).join(" ");
  return new CortexError(
    ErrorCode.InvalidArgument,
    `the stack is already running without ${list}: its daemon loads handler modules only when it starts`,
    {
      hint:
        `Run \`cortex up --restart ${flags}\` to load ${missing.length > 1 ? "them" : "it"} into the daemon, ` +
        (missing.length > 1
          ? "or `cortex worker start <module>` (nats backend) to run each in its own process."
          : `or \`cortex worker start ${shown[0]}\` (nats backend) to run it in its own process.`),
      details: { missing },
    },
  );
}

/** A path under the working directory as the user would type it (`./m.js`); others in full. */
function shownPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel === "" || isAbsolute(rel) || rel.startsWith("..") ? path : `./${rel}`;
}
