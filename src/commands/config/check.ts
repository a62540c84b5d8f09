import { BaseCommand } from "../../cli/base-command.js";
import { loadApiKeysFile } from "../../config/api-keys.js";
import { loadConfig } from "../../config/index.js";

export interface ConfigCheckResult {
  ok: true;
  paths: { pools: string; timeouts: string; safety: string };
  topics: number;
  rules: number;
  /** Keys in CORTEX_API_KEYS_FILE, when it is set (the keys themselves are never printed). */
  apiKeys?: { path: string; keys: number };
}

export default class ConfigCheck extends BaseCommand {
  static override summary =
    "Validate config/pools.yaml, timeouts.yaml, safety.yaml, the API keys file and the environment";
  static override examples = [
    "<%= config.bin %> config check",
    "POOL_CONFIG_PATH=./pools.yaml <%= config.bin %> config check",
  ];

  async run(): Promise<ConfigCheckResult> {
    await this.parse(ConfigCheck);
    const config = loadConfig();
    const result: ConfigCheckResult = {
      ok: true,
      paths: config.paths,
      topics: Object.keys(config.pools.topics).length,
      rules: config.safety.rules.length,
    };
    const keysPath = config.env.CORTEX_API_KEYS_FILE;
    if (keysPath) result.apiKeys = { path: keysPath, keys: loadApiKeysFile(keysPath).length };
    if (!this.jsonEnabled()) {
      this.log(`pools     ${config.paths.pools} (${result.topics} topics)`);
      this.log(`timeouts  ${config.paths.timeouts}`);
      this.log(`safety    ${config.paths.safety} (${result.rules} rules)`);
      if (result.apiKeys) this.log(`api keys  ${result.apiKeys.path} (${result.apiKeys.keys} keys)`);
      this.log("config is valid");
    }
    return result;
  }
}
