import { Flags } from "@oclif/core";
import { BaseCommand } from "../cli/base-command.js";
import { stopReport } from "../cli/stop-report.js";
import type { DownResult } from "../client/json-shapes.js";
import { loadEnv } from "../config/env.js";
import { resolveHome } from "../daemon/supervisor/home.js";
import { stopStack } from "../daemon/supervisor/stop-stack.js";

export default class Down extends BaseCommand {
  static override summary = "Drain and stop the daemon and the servers `cortex up` started";
  static override description =
    "Workers finish the jobs they are running (up to --timeout seconds), then the daemon exits. " +
    "NATS and Redis are stopped only when `cortex up` started them.";
  static override flags = {
    timeout: Flags.integer({ description: "seconds to wait for the drain before killing", default: 40 }),
  };

  async run(): Promise<DownResult> {
    const { flags } = await this.parse(Down);
    const env = loadEnv(process.env);
    const home = resolveHome({ ...process.env, CORTEX_HOME: env.CORTEX_HOME });
    const say = (line: string) => {
      if (!this.jsonEnabled()) this.logToStderr(line);
    };
    return stopStack(home, flags.timeout * 1000, stopReport(say, flags.timeout));
  }
}
