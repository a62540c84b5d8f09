import ansis from "ansis";
import { BaseCommand } from "../cli/base-command.js";
import { gatewayFromEnv } from "../cli/gateway.js";
import { formatAge } from "../cli/job-text.js";
import { renderTable } from "../cli/table.js";
import { loadEnv } from "../config/env.js";
import { redactUrl } from "../core/redact-url.js";
import { resolveHome } from "../daemon/supervisor/home.js";
import { isAlive } from "../daemon/supervisor/stack-file.js";
import { readSupervisorState } from "../daemon/supervisor/supervisor-state.js";

export interface PsResult {
  pid: number;
  version: string;
  backend: string;
  /** The embedded store's SQLite file; empty on nats. */
  data_path: string;
  nats: { url: string; connected: boolean };
  redis: { url: string; connected: boolean };
  components: { name: string; state: string; address: string; pid: number; uptimeMs: number }[];
  /** What `cortex up`'s supervisor saw (absent for a daemon started otherwise). */
  supervisor?: {
    pid: number;
    restarts: number;
    lastExit?: { code: number | null; signal: string | null; atMs: number };
  };
  pools: { pool: string; liveWorkers: number; activeJobs: number; capacity: number; topics: string[] }[];
  workers: {
    workerId: string;
    pool: string;
    activeJobs: number;
    maxParallelJobs: number;
    lastSeenMs: number;
  }[];
}

export default class Ps extends BaseCommand {
  static override summary = "Show the stack's components and worker pools (exit 3 when the stack is down)";
  static override examples = ["<%= config.bin %> ps", "<%= config.bin %> ps --json"];

  async run(): Promise<PsResult> {
    await this.parse(Ps);
    const client = await gatewayFromEnv(3000);
    try {
      const [status, workers] = await Promise.all([client.getStatus(), client.listWorkers()]);
      const now = Date.now();
      const result: PsResult = {
        pid: status.pid,
        version: status.version,
        backend: status.backend || "nats",
        data_path: status.dataPath,
        // The daemon redacts them already; an older daemon may not have.
        nats: { url: redactUrl(status.natsUrl), connected: status.natsConnected },
        redis: { url: redactUrl(status.redisUrl), connected: status.redisConnected },
        components: status.components.map((c) => ({
          name: c.name,
          state: c.state,
          address: c.address,
          pid: c.pid,
          uptimeMs: c.startedAtMs > 0 ? now - c.startedAtMs : 0,
        })),
        pools: workers.pools.map((p) => ({
          pool: p.pool,
          liveWorkers: p.liveWorkers,
          activeJobs: p.activeJobs,
          capacity: p.capacity,
          topics: p.topics,
        })),
        workers: workers.workers.map((w) => ({
          workerId: w.heartbeat?.workerId ?? "",
          pool: w.heartbeat?.pool ?? "",
          activeJobs: w.heartbeat?.activeJobs ?? 0,
          maxParallelJobs: w.heartbeat?.maxParallelJobs ?? 0,
          lastSeenMs: w.lastSeenMs,
        })),
      };
      const sup = readSupervisorState(
        resolveHome({ ...process.env, CORTEX_HOME: loadEnv(process.env).CORTEX_HOME }).root,
      );
      if (sup !== undefined && isAlive(sup.pid))
        result.supervisor = {
          pid: sup.pid,
          restarts: sup.restarts,
          ...(sup.lastExit ? { lastExit: sup.lastExit } : {}),
        };
      if (!this.jsonEnabled()) this.print(result);
      return result;
    } finally {
      client.close();
    }
  }

  private print(r: PsResult): void {
    const conn = (ok: boolean) => (ok ? ansis.green("connected") : ansis.red("disconnected"));
    this.log(`cortex ${r.version}  daemon pid ${r.pid}${restartsText(r.supervisor)}`);
    if (r.backend === "embedded") {
      const store = r.redis.connected ? ansis.green("open") : ansis.red("unavailable");
      this.log(`backend embedded    bus in-process    store ${r.data_path} ${store}\n`);
    } else {
      this.log(
        `backend nats    nats  ${r.nats.url} ${conn(r.nats.connected)}    redis  ${r.redis.url} ${conn(r.redis.connected)}\n`,
      );
    }
    const state = (s: string) =>
      s === "running" ? ansis.green(s) : s === "stopped" ? ansis.red(s) : ansis.yellow(s);
    this.log(
      renderTable(
        ["component", "state", "address", "pid", "uptime"],
        r.components.map((c) => [
          c.name,
          state(c.state),
          c.address || "-",
          String(c.pid),
          formatAge(c.uptimeMs),
        ]),
      ),
    );
    this.log("");
    this.log(
      renderTable(
        ["pool", "workers", "active/capacity", "topics"],
        r.pools.map((p) => [
          p.pool,
          p.liveWorkers === 0 ? ansis.yellow("0") : String(p.liveWorkers),
          `${p.activeJobs}/${p.capacity}`,
          p.topics.join(","),
        ]),
      ),
    );
  }
}

/** "  restarts 2 (last: SIGKILL 3m ago)", or nothing before the first restart. */
function restartsText(sup: PsResult["supervisor"]): string {
  if (sup === undefined || sup.restarts === 0) return "";
  const last = sup.lastExit;
  const why =
    last === undefined
      ? ""
      : ` (last: ${last.signal ?? `exit ${last.code}`} ${formatAge(Date.now() - last.atMs)} ago)`;
  return `  ${ansis.yellow(`restarts ${sup.restarts}`)}${why}`;
}
