import ansis from "ansis";
import { BaseCommand } from "../cli/base-command.js";
import { gatewayFromEnv } from "../cli/gateway.js";
import { formatAge } from "../cli/job-text.js";
import { dashboardUrl, endpointLines, endpointsOf } from "../cli/stack-endpoints.js";
import { renderTable } from "../cli/table.js";
import type { PsResult } from "../client/json-shapes.js";
import { loadEnv } from "../config/env.js";
import { compactJson, protoJson, workersJson } from "../core/api-json.js";
import { redactUrl } from "../core/redact-url.js";
import { resolveHome } from "../daemon/supervisor/home.js";
import { isAlive } from "../daemon/supervisor/stack-file.js";
import { readSupervisorState } from "../daemon/supervisor/supervisor-state.js";

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
        ...compactJson({
          pid: status.pid,
          version: status.version,
          backend: status.backend || "nats",
          data_path: status.dataPath,
          // The daemon redacts them already; an older daemon may not have.
          nats: compactJson({ url: redactUrl(status.natsUrl), connected: status.natsConnected }),
          redis: compactJson({ url: redactUrl(status.redisUrl), connected: status.redisConnected }),
        }),
        ...compactJson({ dashboard_url: dashboardUrl(status) }),
        endpoints: endpointsOf(status, loadEnv(process.env).CORTEX_GATEWAY_ADDR),
        // The lists stay when empty, as in GET /api/v1/workers.
        components: status.components.map((c) =>
          compactJson({
            ...(protoJson(c) as PsResult["components"][number]),
            uptime_ms: c.startedAtMs > 0 ? now - c.startedAtMs : 0,
          }),
        ),
        ...workersJson(workers),
      };
      const sup = readSupervisorState(
        resolveHome({ ...process.env, CORTEX_HOME: loadEnv(process.env).CORTEX_HOME }).root,
      );
      if (sup !== undefined && isAlive(sup.pid))
        result.supervisor = {
          pid: sup.pid,
          restarts: sup.restarts,
          ...(sup.lastExit ? { last_exit: lastExitJson(sup.lastExit) } : {}),
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
    const url = (u: string | undefined) => u ?? "-";
    if (r.backend === "embedded") {
      const store = r.redis.connected ? ansis.green("open") : ansis.red("unavailable");
      this.log(`backend embedded    bus in-process    store ${r.data_path} ${store}\n`);
    } else {
      this.log(
        `backend nats    nats  ${url(r.nats.url)} ${conn(r.nats.connected)}    redis  ${url(r.redis.url)} ${conn(r.redis.connected)}\n`,
      );
    }
    for (const line of endpointLines(r.endpoints, r.dashboard_url)) this.log(line);
    this.log("");
    const state = (s: string) =>
      s === "running" ? ansis.green(s) : s === "stopped" ? ansis.red(s) : ansis.yellow(s);
    this.log(
      renderTable(
        ["component", "state", "address", "pid", "uptime"],
        r.components.map((c) => [
          c.name ?? "",
          state(c.state ?? ""),
          c.address ?? "-",
          String(c.pid ?? "-"),
          c.uptime_ms === undefined ? "-" : formatAge(c.uptime_ms),
        ]),
      ),
    );
    this.log("");
    this.log(
      renderTable(
        ["pool", "workers", "active/capacity", "topics"],
        r.pools.map((p) => [
          p.pool ?? "",
          p.live_workers ? String(p.live_workers) : ansis.yellow("0"),
          `${p.active_jobs ?? 0}/${p.capacity ?? 0}`,
          (p.topics ?? []).join(","),
        ]),
      ),
    );
  }
}

/** "  restarts 2 (last: SIGKILL 3m ago)", or nothing before the first restart. */
function restartsText(sup: PsResult["supervisor"]): string {
  if (sup === undefined || sup.restarts === 0) return "";
  const last = sup.last_exit;
  const why =
    last === undefined
      ? ""
      : ` (last: ${last.signal ?? `exit ${last.code}`} ${formatAge(Date.now() - last.at_ms)} ago)`;
  return `  ${ansis.yellow(`restarts ${sup.restarts}`)}${why}`;
}

/** The supervisor's record of the daemon's last exit, in the JSON's words (null = not set). */
function lastExitJson(e: { code: number | null; signal: string | null; atMs: number }) {
  return {
    ...(e.code === null ? {} : { code: e.code }),
    ...(e.signal === null ? {} : { signal: e.signal }),
    at_ms: e.atMs,
  };
}
