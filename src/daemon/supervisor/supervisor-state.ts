import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** How `cortex up` tells the supervisor what to run (its one argument, as JSON). */
export interface SupervisorConfig {
  runScript: string;
  nodeArgs: string[];
  daemonArgs: string[];
  homeRoot: string;
  pidFile: string;
  daemonLog: string;
}

/** What the supervisor tells `cortex ps` and `cortex down`: written at every daemon start and exit. */
export interface SupervisorState {
  /** The supervisor's own pid. */
  pid: number;
  /** The daemon it runs now (0 while it waits to restart one). */
  daemonPid: number;
  /** Daemons started after the first. */
  restarts: number;
  lastExit?: { code: number | null; signal: string | null; atMs: number };
  /** The supervisor is stopping (`cortex down`): it restarts nothing more. */
  stopping?: boolean;
}

export function supervisorStatePath(homeRoot: string): string {
  return join(homeRoot, "supervisor.json");
}

export function supervisorPidPath(homeRoot: string): string {
  return join(homeRoot, "supervisor.pid");
}

export function readSupervisorState(homeRoot: string): SupervisorState | undefined {
  try {
    return JSON.parse(readFileSync(supervisorStatePath(homeRoot), "utf8")) as SupervisorState;
  } catch {
    return undefined;
  }
}

/** Written whole then renamed, so a reader never sees half a file. */
export function writeSupervisorState(homeRoot: string, state: SupervisorState): void {
  const path = supervisorStatePath(homeRoot);
  writeFileSync(`${path}.tmp`, `${JSON.stringify(state)}\n`);
  renameSync(`${path}.tmp`, path);
}
