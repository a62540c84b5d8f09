import { loadApiKeysFile } from "../config/api-keys.js";
import { type CortexConfig, loadConfig } from "../config/index.js";
import { assertWorkerRouting } from "../core/routing-check.js";
import type { WorkerKindName } from "../core/worker-kinds.js";

export interface ValidatedConfig {
  config: CortexConfig;
  /** Keys in CORTEX_API_KEYS_FILE; undefined when it is not set. */
  apiKeys: number | undefined;
}

/**
 * What `cortex config check` checks, and `cortex up` before it starts anything: the YAML
 * files, the environment, the API keys file, and that pools.yaml routes every topic of
 * `kinds` to its pool. Throws ConfigInvalid (exit 2) on the first problem.
 */
export function validateConfig(kinds: readonly WorkerKindName[]): ValidatedConfig {
  const config = loadConfig();
  assertWorkerRouting(kinds, config.pools.topics, config.paths.pools);
  const keysPath = config.env.CORTEX_API_KEYS_FILE;
  return { config, apiKeys: keysPath ? loadApiKeysFile(keysPath).length : undefined };
}
