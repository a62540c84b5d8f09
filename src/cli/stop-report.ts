import ansis from "ansis";
import type { DownResult } from "../client/json-shapes.js";

/** The lines `down` (and `up --restart`) prints while it stops the stack. */
export function stopReport(say: (line: string) => void, timeoutS: number) {
  const ok = ansis.green("✓");
  return {
    draining: (pid: number) => say(`… draining daemon (pid ${pid})`),
    daemon: (outcome: DownResult["daemon"]) =>
      say(
        outcome === "killed"
          ? ansis.yellow(`! daemon killed after ${timeoutS}s`)
          : outcome === "stopped"
            ? `${ok} daemon stopped`
            : `${ok} daemon is not running`,
      ),
    server: (kind: string, pid: number) => say(`${ok} ${kind} stopped ${ansis.dim(`(pid ${pid})`)}`),
  };
}
