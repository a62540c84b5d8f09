import { delimiter, dirname, resolve } from "node:path";
import { type CortexEnv, loadEnv } from "./env.js";
import { shippedConfigPath } from "./package-root.js";
import { loadPoolsFile, POOLS_ENV_VAR, type PoolsConfig } from "./pools.js";
import { loadSafetyFile, SAFETY_ENV_VAR, type SafetyConfig } from "./safety.js";
import { loadTimeoutsFile, TIMEOUTS_ENV_VAR, type TimeoutsConfig } from "./timeouts.js";

export { type CortexEnv, type CortexLogLevel, ENV_VARS, loadEnv, redisTlsFiles } from "./env.js";
export { formatKeyPath } from "./issues.js";
export { packageRoot, shippedConfigPath } from "./package-root.js";
export {
  loadPoolsFile,
  POOLS_ENV_VAR,
  type PoolSettings,
  type PoolsConfig,
  poolForTopic,
  poolsConfigSchema,
} from "./pools.js";
export {
  loadSafetyFile,
  type PolicyEffect,
  SAFETY_ENV_VAR,
  type SafetyConfig,
  type SafetyRule,
  safetyConfigSchema,
} from "./safety.js";
export {
  type JobTimeout,
  loadTimeoutsFile,
  NO_RETRY_TIMEOUTS,
  type ReconcilerConfig,
  TIMEOUTS_ENV_VAR,
  type TimeoutsConfig,
  type TopicTimeout,
  timeoutFor,
  timeoutsConfigSchema,
  type WorkflowTimeouts,
  type WorkflowTimeoutValues,
  workflowForTopic,
  workflowTimeouts,
} from "./timeouts.js";

export interface ConfigPaths {
  pools: string;
  timeouts: string;
  safety: string;
}

export interface CortexConfig {
  pools: PoolsConfig;
  timeouts: TimeoutsConfig;
  safety: SafetyConfig;
  env: CortexEnv;
  /** Absolute paths of the files actually loaded. */
  paths: ConfigPaths;
}

export interface LoadConfigOptions {
  /** Defaults to process.env. */
  env?: NodeJS.ProcessEnv;
}

/** The config file paths in effect: `*_CONFIG_PATH` (relative to the working directory) or the shipped defaults. */
export function configPaths(env: NodeJS.ProcessEnv = process.env): ConfigPaths {
  const pick = (envVar: string, fileName: string): string => {
    const override = env[envVar];
    return override ? resolve(override) : shippedConfigPath(fileName);
  };
  return {
    pools: pick(POOLS_ENV_VAR, "pools.yaml"),
    timeouts: pick(TIMEOUTS_ENV_VAR, "timeouts.yaml"),
    safety: pick(SAFETY_ENV_VAR, "safety.yaml"),
  };
}

/**
 * Loads and validates the environment and all three config files, or throws the first problem
 * (CONFIG_INVALID / CONFIG_NOT_FOUND) so that nothing ever starts half-configured.
 */
export function loadConfig(opts: LoadConfigOptions = {}): CortexConfig {
  const source = opts.env ?? process.env;
  const env = loadEnv(source);
  const paths = configPaths(source);
  return {
    pools: loadPoolsFile(paths.pools),
    timeouts: loadTimeoutsFile(paths.timeouts),
    safety: loadSafetyFile(paths.safety),
    env,
    paths,
  };
}

/**
 * The handler modules the daemon loads: CORTEX_WORKER_MODULES (from `cortex up --worker`),
 * then pools.yaml `workers:` (relative to pools.yaml), as absolute paths without repeats.
 */
export function configuredWorkerModules(config: CortexConfig): string[] {
  const fromEnv = (config.env.CORTEX_WORKER_MODULES ?? "").split(delimiter).filter((p) => p !== "");
  return [...new Set([...fromEnv.map((p) => resolve(p)), ...poolsWorkerModules(config)])];
}

/** pools.yaml `workers:` as absolute paths (relative to pools.yaml). */
export function poolsWorkerModules(config: CortexConfig): string[] {
  return (config.pools.workers ?? []).map((p) => resolve(dirname(config.paths.pools), p));
}
