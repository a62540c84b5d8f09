import { mkdirSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";

/** Everything `cortex up` keeps on disk lives under CORTEX_HOME (default ~/.cortex). */
export interface CortexHome {
  root: string;
  pidFile: string;
  stackFile: string;
  logsDir: string;
  daemonLog: string;
  natsDir: string;
  redisDir: string;
  natsLog: string;
  redisLog: string;
}

export function resolveHome(env: NodeJS.ProcessEnv = process.env): CortexHome {
  const root = env.CORTEX_HOME && env.CORTEX_HOME.length > 0 ? env.CORTEX_HOME : join(homedir(), ".cortex");
  const logsDir = join(root, "logs");
  return {
    root,
    pidFile: join(root, "daemon.pid"),
    stackFile: join(root, "stack.json"),
    logsDir,
    daemonLog: join(logsDir, "daemon.log"),
    natsDir: join(root, "data", "nats"),
    redisDir: join(root, "data", "redis"),
    natsLog: join(logsDir, "nats.log"),
    redisLog: join(logsDir, "redis.log"),
  };
}

export function ensureHome(home: CortexHome): void {
  for (const dir of [home.root, home.logsDir, home.natsDir, home.redisDir])
    mkdirSync(dir, { recursive: true });
}
