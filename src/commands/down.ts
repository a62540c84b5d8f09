import { Flags } from "@oclif/core";
import ansis from "ansis";
import { BaseCommand } from "../cli/base-command.js";
import type { DownResult } from "../client/json-shapes.js";
import { loadEnv } from "../config/env.js";
import {
  removePidFile,
  runningDaemonPid,
  runningSupervisorPid,
  stopProcess,
  waitForExit,
} from "../daemon/supervisor/daemon-process.js";
import { resolveHome } from "../daemon/supervisor/home.js";
import { readStackFile, removeStackFile } from "../daemon/supervisor/stack-file.js";

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
    const ok = ansis.green("✓");
    // The supervisor first, so it restarts nothing; it forwards SIGTERM to the daemon.
    const supervisor = runningSupervisorPid(home);
    if (supervisor !== undefined) process.kill(supervisor, "SIGTERM");
    const pid = runningDaemonPid(home);
    let daemon: DownResult["daemon"] = "not-running";
    if (pid !== undefined) {
      say(`… draining daemon (pid ${pid})`);
      const outcome =
        supervisor !== undefined && (await waitForExit(pid, flags.timeout * 1000))
          ? "exited"
          : await stopProcess(pid, flags.timeout * 1000);
      daemon = outcome === "killed" ? "killed" : "stopped";
      say(
        outcome === "killed"
          ? ansis.yellow(`! daemon killed after ${flags.timeout}s`)
          : `${ok} daemon stopped`,
      );
    } else {
      say(`${ok} daemon is not running`);
    }
    if (supervisor !== undefined) await stopProcess(supervisor, 5_000);
    removePidFile(home);
    const stack = readStackFile(home.stackFile);
    const servers: DownResult["servers"] = [];
    for (const s of stack?.servers ?? []) {
      const outcome = await stopProcess(s.pid, 10_000);
      servers.push({ kind: s.kind, pid: s.pid, outcome });
      say(`${ok} ${s.kind} stopped ${ansis.dim(`(pid ${s.pid})`)}`);
    }
    removeStackFile(home.stackFile);
    return { daemon, servers };
  }
}
