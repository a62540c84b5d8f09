import { readFileSync, rmSync, writeFileSync } from "node:fs";

/** What `cortex up` started, so `cortex down` stops exactly that and nothing else. */
export interface ManagedServer {
  kind: "nats" | "redis";
  pid: number;
  url: string;
}

export interface StackFile {
  daemonPid?: number;
  startedAt?: number;
  /** CORTEX_INSTANCE_ID of the daemon `up` started; its gateway reports it in GetStatus. */
  instanceId?: string;
  servers: ManagedServer[];
  /** Settings the daemon was started with (src/cli/daemon-settings.ts). */
  env: Record<string, string>;
  /** Absolute paths of the handler modules the daemon loads (`--worker`, pools.yaml `workers:`). */
  workerModules?: string[];
}

export function readStackFile(path: string): StackFile | undefined {
  try {
    return JSON.parse(readFileSync(path, "utf8")) as StackFile;
  } catch {
    return undefined;
  }
}

export function writeStackFile(path: string, stack: StackFile): void {
  writeFileSync(path, `${JSON.stringify(stack, null, 2)}\n`);
}

export function removeStackFile(path: string): void {
  rmSync(path, { force: true });
}

export function readPid(path: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(path, "utf8").trim(), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
  return !isZombie(pid);
}

/** An exited process that its (re)parent has not reaped yet still answers kill(pid, 0). */
function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z");
  } catch {
    return false;
  }
}
