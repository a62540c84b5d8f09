import { Flags } from "@oclif/core";
import { applyBackendFlag, backendFlag, splitNeedsNats } from "../cli/backend-flag.js";
import { BaseCommand } from "../cli/base-command.js";
import { configuredWorkerModules, loadConfig } from "../config/index.js";
import { CortexError, ErrorCode } from "../core/errors.js";
import { COMPONENT_NAMES, parseOnly } from "../daemon/component.js";
import { createLogger, daemonLogFile, logFileFromStdout } from "../daemon/logger.js";
import { startDaemon } from "../daemon/main.js";
import { runUntilSignal } from "../daemon/run-until-signal.js";

export default class Daemon extends BaseCommand {
  static override enableJsonFlag = false;
  static override summary =
    "Run cortex components in the foreground (what `cortex up` starts in the background)";
  static override description =
    "Logs JSON lines to stdout. SIGTERM or SIGINT drains the workers and shuts down cleanly. " +
    "Use --only to run some components here and the rest elsewhere against the same NATS and Redis.";
  static override examples = [
    "<%= config.bin %> daemon",
    "<%= config.bin %> daemon --only scheduler,gateway",
  ];
  static override flags = {
    backend: backendFlag,
    only: Flags.string({ description: `comma-separated components: ${COMPONENT_NAMES.join(",")}` }),
    concurrency: Flags.integer({ description: "jobs each worker kind runs at once" }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Daemon);
    applyBackendFlag(flags.backend);
    let components: ReturnType<typeof parseOnly>;
    try {
      components = parseOnly(flags.only);
    } catch (cause) {
      throw new CortexError(ErrorCode.InvalidArgument, (cause as Error).message, {
        cause,
        hint: "Fix --only.",
      });
    }
    const config = loadConfig();
    if (config.env.CORTEX_BACKEND === "embedded" && components.length < COMPONENT_NAMES.length) {
      throw splitNeedsNats(`running some components here and the rest elsewhere (--only ${flags.only})`);
    }
    const root = createLogger(config.env.CORTEX_LOG_LEVEL, logFileFromStdout(daemonLogFile(config.env)));
    const logger = root.child({ component: "daemon" });
    logger.info({ components, pools: config.paths.pools }, "daemon starting");
    const daemon = await startDaemon({
      components,
      config,
      logger: root,
      workerModules: configuredWorkerModules(config),
      ...(flags.concurrency !== undefined ? { concurrency: flags.concurrency } : {}),
    });
    logger.info("daemon ready");
    await runUntilSignal(logger, () => daemon.stop());
  }
}
