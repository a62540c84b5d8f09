import {
  removePidFile,
  runningDaemonPid,
  runningSupervisorPid,
  stopProcess,
  waitForExit,
} from "./daemon-process.js";
import type { CortexHome } from "./home.js";
import { readStackFile, removeStackFile } from "./stack-file.js";

export interface StopStackOutcome {
  daemon: "stopped" | "killed" | "not-running";
  servers: { kind: string; pid: number; outcome: string }[];
}

export interface StopStackReport {
  draining(pid: number): void;
  daemon(outcome: StopStackOutcome["daemon"]): void;
  server(kind: string, pid: number): void;
}

/**
 * What `cortex down` (and `up --restart`) does: the supervisor first, so it restarts
 * nothing (it forwards SIGTERM to the daemon, which drains up to `timeoutMs`), then the
 * servers `cortex up` started.
 */
export async function stopStack(
  home: CortexHome,
  timeoutMs: number,
  report: StopStackReport,
): Promise<StopStackOutcome> {
  const supervisor = runningSupervisorPid(home);
  if (supervisor !== undefined) process.kill(supervisor, "SIGTERM");
  const pid = runningDaemonPid(home);
  let daemon: StopStackOutcome["daemon"] = "not-running";
  if (pid !== undefined) {
    report.draining(pid);
    const outcome =
      supervisor !== undefined && (await waitForExit(pid, timeoutMs))
        ? "exited"
        : await stopProcess(pid, timeoutMs);
    daemon = outcome === "killed" ? "killed" : "stopped";
  }
  report.daemon(daemon);
  if (supervisor !== undefined) await stopProcess(supervisor, 5_000);
  removePidFile(home);
  const stack = readStackFile(home.stackFile);
  const servers: StopStackOutcome["servers"] = [];
  for (const s of stack?.servers ?? []) {
    const outcome = await stopProcess(s.pid, 10_000);
    servers.push({ kind: s.kind, pid: s.pid, outcome });
    report.server(s.kind, s.pid);
  }
  removeStackFile(home.stackFile);
  return { daemon, servers };
}
