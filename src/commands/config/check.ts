import { Flags } from "@oclif/core";
import { applyBackendFlag, backendFlag } from "../../cli/backend-flag.js";
import { BaseCommand } from "../../cli/base-command.js";
import { validateConfig } from "../../cli/validate-config.js";
import type { ConfigCheckResult } from "../../client/json-shapes.js";
import { embeddedDbPath } from "../../config/data-path.js";
import { configuredWorkerModules } from "../../config/index.js";
import { parseWorkerKindName, workerKindNames } from "../../core/worker-kinds.js";
import { loadRoutedWorkers } from "../../sdk/load-modules.js";

export default class ConfigCheck extends BaseCommand {
  static override summary =
    "Validate config/pools.yaml, timeouts.yaml, safety.yaml, the API keys file and the environment";
  static override description =
    "pools.yaml must route every topic of the worker kinds you run to that kind's pool; by default " +
    "all kinds are checked (what `cortex up` runs), --kinds names the ones a split setup runs here.";
  static override examples = [
    "<%= config.bin %> config check",
    "POOL_CONFIG_PATH=./pools.yaml <%= config.bin %> config check --kinds echo,chat-simple",
  ];
  static override flags = {
    backend: backendFlag,
    kinds: Flags.string({
      description: `comma-separated worker kinds to check routing for (${workerKindNames().join(",")})`,
    }),
  };

  async run(): Promise<ConfigCheckResult> {
    const { flags } = await this.parse(ConfigCheck);
    applyBackendFlag(flags.backend);
    const kinds = flags.kinds
      ? flags.kinds
          .split(",")
          .map((k) => k.trim())
          .filter((k) => k !== "")
          .map(parseWorkerKindName)
      : workerKindNames();
    const { config, apiKeys } = validateConfig(kinds);
    const result: ConfigCheckResult = {
      ok: true,
      paths: config.paths,
      topics: Object.keys(config.pools.topics).length,
      rules: config.safety.rules.length,
      backend: {
        kind: config.env.CORTEX_BACKEND,
        source: config.env.backendSource,
        ...(config.env.CORTEX_BACKEND === "embedded"
          ? { data_path: embeddedDbPath(config.env.CORTEX_HOME) }
          : {}),
      },
      worker_kinds: kinds,
    };
    const keysPath = config.env.CORTEX_API_KEYS_FILE;
    if (keysPath && apiKeys !== undefined) result.api_keys = { path: keysPath, keys: apiKeys };
    // Loaded as `cortex up` loads them: a module that fails, or a topic pools.yaml does not route, is exit 2.
    const modules = configuredWorkerModules(config);
    if (modules.length > 0) {
      const loaded = await loadRoutedWorkers(modules, config.pools.topics, config.paths.pools);
      result.worker_modules = loaded.map((w) => ({
        file: w.file,
        pool: w.definition.pool,
        topics: Object.keys(w.definition.topics),
      }));
    }
    if (!this.jsonEnabled()) {
      const b = result.backend;
      this.log(
        `backend   ${b.kind} (${b.source === "default" ? "default" : `chosen by ${b.source}`})${b.data_path ? `, data ${b.data_path}` : ""}`,
      );
      this.log(`pools     ${config.paths.pools} (${result.topics} topics)`);
      this.log(`timeouts  ${config.paths.timeouts}`);
      this.log(`safety    ${config.paths.safety} (${result.rules} rules)`);
      this.log(`routing   ${kinds.length} worker kinds routed to their pools (${kinds.join(", ")})`);
      if (result.api_keys) this.log(`api keys  ${result.api_keys.path} (${result.api_keys.keys} keys)`);
      for (const w of result.worker_modules ?? [])
        this.log(`worker    ${w.file} (pool ${w.pool}: ${w.topics.join(", ")})`);
      this.log("config is valid");
    }
    return result;
  }
}
