import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { componentOf, lastLines, prettyLogLine } from "../../../src/cli/daemon-log-lines.js";

const line = (time: number, component: string, msg: string) =>
  JSON.stringify({ level: 30, time, pid: 7, component, msg, workerId: "w1" });

describe("cortex logs lines", () => {
  it("pretty-prints a JSON line on one line: level, component, message, other fields; no pid", () => {
    const out = prettyLogLine(false)(line(Date.UTC(2026, 0, 1, 12, 0, 0), "gateway", "worker joined"));
    expect(out).toMatch(/^\[\d\d:\d\d:\d\d\.000\] INFO: gateway worker joined \{"workerId":"w1"\}$/);
    expect(out).not.toContain("pid");
    expect(prettyLogLine(false)("not json")).toBe("not json");
  });

  it("names the supervisor's lines by their name and the worker runtime's as workers", () => {
    expect(componentOf({ name: "supervisor" })).toBe("supervisor");
    expect(componentOf({ component: "worker" })).toBe("workers");
    expect(componentOf({})).toBe("daemon");
  });

  it("takes the last lines of a component across the rotated files, oldest first", async () => {
    const dir = mkdtempSync(join(tmpdir(), "cortex-loglines-"));
    try {
      const path = join(dir, "daemon.log");
      writeFileSync(`${path}.2`, `${line(1, "gateway", "a")}\n${line(2, "scheduler", "b")}\n`);
      writeFileSync(`${path}.1`, `${line(3, "gateway", "c")}\n`);
      writeFileSync(path, `${line(4, "gateway", "d")}\n${line(5, "scheduler", "e")}\n`);
      const msgs = async (component: string | undefined, n: number) =>
        (await lastLines(path, 5, component, n)).map((p) => (JSON.parse(p.line) as { msg: string }).msg);
      expect(await msgs("gateway", 10)).toEqual(["a", "c", "d"]);
      expect(await msgs(undefined, 3)).toEqual(["c", "d", "e"]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
