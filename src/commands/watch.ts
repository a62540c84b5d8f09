import { Flags } from "@oclif/core";
import { BaseCommand } from "../cli/base-command.js";
import { loadEnv } from "../config/env.js";
import { CortexError, ErrorCode } from "../core/errors.js";

export default class Watch extends BaseCommand {
  static override summary = "Watch the stack live: health, pools, jobs and events (a terminal UI)";
  static override description =
    "Keys: ↑/↓ select, Enter opens a job (context, timeline, result, live output), Esc back, / filters by " +
    "topic or state, s/S sorts by the next column / reverses, Space (or →/←) folds a workflow's children, " +
    "l shows the selected job's events, c cancels the selected job, p pauses the feed, ? help, q quits. " +
    "Columns size to the terminal. Reconnects by itself when the daemon restarts.";
  static override examples = ["<%= config.bin %> watch", "<%= config.bin %> watch --gateway 10.0.0.5:8080"];
  static override enableJsonFlag = false;
  static override flags = {
    gateway: Flags.string({
      description: "gateway address host:port (default $CORTEX_GATEWAY_ADDR or 127.0.0.1:$CORTEX_GRPC_PORT)",
    }),
    backfill: Flags.integer({
      description: "past events to replay when the stream (re)connects",
      default: 200,
      min: 0,
      max: 1000,
    }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Watch);
    if (!process.stdin.isTTY || !process.stdout.isTTY) {
      throw new CortexError(ErrorCode.InvalidArgument, "cortex watch needs an interactive terminal", {
        hint: "Run it in a terminal; scripts can use `cortex jobs --json` or `cortex submit --wait`.",
      });
    }
    const env = loadEnv(process.env);
    // Ink draws only the final frame when it thinks it runs under CI; a TTY here means a person.
    for (const name of ["CI", "CONTINUOUS_INTEGRATION"]) if (name in process.env) process.env[name] = "false";
    const { runWatch } = await import("../tui/run-watch.js");
    await runWatch({
      address: flags.gateway ?? env.CORTEX_GATEWAY_ADDR,
      ...(env.CORTEX_API_KEY ? { apiKey: env.CORTEX_API_KEY } : {}),
      backfill: flags.backfill,
    });
  }
}
