import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { linesSince, markLog, runError } from "../../../src/cli/run-log.js";
import { rotateLogFiles } from "../../../src/daemon/rotating-log.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function logPath(): string {
  const dir = mkdtempSync(join(tmpdir(), "cortex-run-log-"));
  dirs.push(dir);
  return join(dir, "daemon.log");
}

describe("this run's lines of the daemon log", () => {
  it("skips what earlier runs wrote", () => {
    const path = logPath();
    writeFileSync(path, "Error: old\n");
    const mark = markLog(path, 5);
    appendFileSync(path, '{"level":30,"msg":"daemon starting"}\nError: new\n');
    expect(linesSince(mark)).toEqual(['{"level":30,"msg":"daemon starting"}', "Error: new"]);
  });

  it("follows the marked file when the log rotates, then reads the newer files", () => {
    const path = logPath();
    writeFileSync(path, "old line\n");
    const mark = markLog(path, 3);
    appendFileSync(path, "first of this run\n");
    rotateLogFiles(path, 3);
    writeFileSync(path, "after the rotation\n");
    expect(linesSince(mark)).toEqual(["first of this run", "after the rotation"]);
  });

  it("reads everything when there was no log yet", () => {
    const path = logPath();
    const mark = markLog(path, 5);
    writeFileSync(path, "Error: x\n");
    expect(linesSince(mark)).toEqual(["Error: x"]);
  });
});

describe("runError", () => {
  it("takes the daemon's Error line and its hint", () => {
    const lines = [
      '{"level":30,"msg":"daemon starting"}',
      "Error: safety kernel cannot listen on 127.0.0.1:1",
      "Another process may hold the port.",
      '{"level":50,"name":"supervisor","msg":"daemon failed at startup; not restarting it"}',
    ];
    expect(runError(lines)).toEqual([
      "Error: safety kernel cannot listen on 127.0.0.1:1",
      "Another process may hold the port.",
    ]);
  });

  it("falls back to the daemon's first error-level line, before the supervisor's", () => {
    const lines = [
      '{"level":50,"name":"supervisor","msg":"daemon failed at startup"}',
      '{"level":60,"component":"daemon","msg":"crashed","err":{"message":"boom"}}',
    ];
    expect(runError(lines)).toEqual(["crashed: boom"]);
  });
});
