import { BaseCommand } from "../../cli/base-command.js";
import { loadConfig } from "../../config/index.js";

export interface ConfigCheckResult {
  ok: true;
  paths: { pools: string; timeouts: string; safety: string };
  topics: number;
  rules: number;
}

export default class ConfigCheck extends BaseCommand {
  static override summary = "Validate config/pools.yaml, timeouts.yaml, safety.yaml and the environment";
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
    if (!this.jsonEnabled()) {
      this.log(`pools     ${config.paths.pools} (${result.topics} topics)`);
      this.log(`timeouts  ${config.paths.timeouts}`);
      this.log(`safety    ${config.paths.safety} (${result.rules} rules)`);
      this.log("config is valid");
    }
    return result;
  }
}
