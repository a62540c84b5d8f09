import { Args, Flags } from "@oclif/core";
import { applyBackendFlag, backendFlag, splitNeedsNats } from "../../cli/backend-flag.js";
import { BaseCommand } from "../../cli/base-command.js";
import { loadConfig } from "../../config/index.js";
import { assertWorkerRouting } from "../../core/routing-check.js";
import { parseWorkerKindName, workerKindNames } from "../../core/worker-kinds.js";
import { createLogger } from "../../daemon/logger.js";
import { startDaemon } from "../../daemon/main.js";
import { runUntilSignal } from "../../daemon/run-until-signal.js";
import { looksLikeModulePath } from "../../sdk/load-modules.js";

export default class WorkerStart extends BaseCommand {
  static override enableJsonFlag = false;
  static override summary =
    "Run workers of one kind, or of a handler module, in the foreground (more capacity, another machine)";
  static override description =
    `Kinds: ${workerKindNames().join(", ")}; or a module path (./handlers.js) whose default export is ` +
    "defineWorker(…) or an array of them (worker SDK). Connects to NATS_URL and REDIS_URL; SIGTERM drains.";
  static override examples = [
    "<%= config.bin %> worker start echo --concurrency 8",
    "<%= config.bin %> worker start ./handlers.js",
  ];
  static override args = {
    kind: Args.string({ description: "worker kind, or a handler module path", required: true }),
  };
  static override flags = {
    backend: backendFlag,
    concurrency: Flags.integer({ char: "c", description: "jobs run at once (max_parallel_jobs)" }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(WorkerStart);
    const module = looksLikeModulePath(args.kind) ? args.kind : undefined;
    const kind = module === undefined ? parseWorkerKindName(args.kind) : undefined;
    applyBackendFlag(flags.backend);
    const config = loadConfig();
    if (config.env.CORTEX_BACKEND === "embedded")
      throw splitNeedsNats("running workers in their own process");
    // Before connecting: a kind whose topics pools.yaml routes elsewhere would idle forever.
    if (kind !== undefined) assertWorkerRouting([kind], config.pools.topics, config.paths.pools);
    const root = createLogger(config.env.CORTEX_LOG_LEVEL);
    const logger = root.child({ component: "daemon" });
    const daemon = await startDaemon({
      components: ["workers"],
      workerKinds: kind === undefined ? [] : [kind],
      ...(module === undefined ? {} : { workerModules: [module] }),
      config,
      logger: root,
      ...(flags.concurrency !== undefined ? { concurrency: flags.concurrency } : {}),
    });
    logger.info({ kind: kind ?? module }, "worker ready");
    await runUntilSignal(logger, () => daemon.stop());
  }
}
