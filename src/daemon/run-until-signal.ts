import type { Logger } from "pino";

/**
 * Resolves after the first SIGTERM/SIGINT has run `shutdown` (drain, then close); a second
 * signal exits at once with 130.
 */
export function runUntilSignal(logger: Logger, shutdown: () => Promise<void>): Promise<void> {
  return new Promise((resolve) => {
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (stopping) {
        logger.warn({ signal }, "second signal: exiting now");
        process.exit(130);
      }
      stopping = true;
      logger.info({ signal }, "shutting down: draining");
      shutdown()
        .catch((err) => logger.error({ err }, "shutdown failed"))
        .finally(() => {
          logger.info("stopped");
          // Exit explicitly: a half-closed client socket must not keep a stopped daemon alive.
          logger.flush(() => process.exit(0));
          setTimeout(() => process.exit(0), 1000).unref();
          resolve();
        });
    };
    process.on("SIGTERM", onSignal);
    process.on("SIGINT", onSignal);
  });
}
