/** The two header lines: connection and stack health, then throughput, backlog, failures. */
import { windowStats } from "../model/selectors.js";
import { STATS_WINDOW_MS, type WatchState } from "../model/state.js";
import { clipLine, type Line, type Segment, seg } from "./line.js";

function connectionSegments(state: WatchState): Segment[] {
  const c = state.connection;
  switch (c.status) {
    case "connecting":
      return [seg("connecting…", { color: "yellow" })];
    case "live":
      return [seg("● live", { color: "green" })];
    case "reconnecting": {
      const wait = Math.max(0, Math.ceil((c.retryAtMs - state.now) / 1000));
      return [
        seg("reconnecting…", { color: "yellow", bold: true }),
        seg(` attempt ${c.attempt}${wait > 0 ? `, retry in ${wait}s` : ""}`, { color: "yellow" }),
        seg(` · ${c.error}`, { dim: true }),
      ];
    }
  }
}

const mark = (name: string, ok: boolean): Segment[] => [
  seg(`${name} `),
  ok ? seg("✓", { color: "green" }) : seg("✗", { color: "red", bold: true }),
];

function healthSegments(state: WatchState): Segment[] {
  if (state.connection.status !== "live") return [];
  const h = state.health;
  if (h === undefined)
    return state.healthError ? [seg("  status: "), seg(state.healthError, { color: "red" })] : [];
  const running = h.components.filter((c) => c.state === "running").length;
  const down = h.components.filter((c) => c.state !== "running").map((c) => `${c.name} ${c.state}`);
  return [
    seg("  "),
    ...mark("nats", h.natsConnected),
    seg("  "),
    ...mark("redis", h.redisConnected),
    seg(`  components ${running}/${h.components.length}`, {
      color: down.length > 0 ? "yellow" : undefined,
    }),
    ...(down.length > 0 ? [seg(` (${down.join(", ")})`, { color: "yellow" })] : []),
  ];
}

export function headerLines(state: WatchState, columns: number): Line[] {
  const first: Line = [
    seg("cortex watch ", { bold: true }),
    ...connectionSegments(state),
    ...healthSegments(state),
  ];
  const stats = windowStats(state);
  const window = `${STATS_WINDOW_MS / 1000}s`;
  const b = state.backlog;
  const backlog = b === undefined ? "-" : `${b.pending + b.scheduled + b.dispatched}${b.capped ? "+" : ""}`;
  const second: Line = [
    seg("jobs/s "),
    seg(stats.jobsPerSecond.toFixed(1), { bold: true }),
    seg("  backlog "),
    seg(backlog, {
      bold: true,
      color: b && b.pending + b.scheduled + b.dispatched > 0 ? "yellow" : undefined,
    }),
    ...(b ? [seg(` (P${b.pending} S${b.scheduled} D${b.dispatched})`, { dim: true })] : []),
    seg(`  failures/${window} `),
    seg(String(stats.failures), { bold: true, color: stats.failures > 0 ? "red" : undefined }),
  ];
  const awaiting = b?.awaitingApproval ?? 0;
  if (awaiting > 0) second.push(seg("  approvals "), seg(`◆ ${awaiting}`, { bold: true, color: "magenta" }));
  const sort = state.sort;
  if (sort.key !== "age" || sort.reversed)
    second.push(
      seg("  sort "),
      seg(`${sort.key}${sort.reversed ? "↑" : "↓"}`, { color: "cyan", bold: true }),
    );
  if (state.droppedEvents > 0) second.push(seg(`  dropped ${state.droppedEvents}`, { color: "yellow" }));
  if (state.paused) {
    second.push(seg("  ‖ PAUSED", { color: "magenta", bold: true }));
    if (state.held.length > 0) second.push(seg(` (${state.held.length} held)`, { color: "magenta" }));
  }
  if (state.filter !== "") second.push(seg("  filter: "), seg(state.filter, { color: "cyan", bold: true }));
  return [clipLine(first, columns), clipLine(second, columns)];
}
