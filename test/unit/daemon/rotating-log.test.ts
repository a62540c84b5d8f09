import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { rotatedLogFiles } from "../../../src/core/log-files.js";
import { rotatingLogDestination } from "../../../src/daemon/rotating-log.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function flushed(dest: { flush?: (cb: (err?: Error) => void) => void }): Promise<void> {
  return new Promise((resolve, reject) => dest.flush?.((err) => (err ? reject(err) : resolve())));
}

describe("rotatingLogDestination", () => {
  it("rotates by size; the files, oldest first, hold every line once, in order", async () => {
    const dir = mkdtempSync(join(tmpdir(), "cortex-rotate-"));
    dirs.push(dir);
    const path = join(dir, "daemon.log");
    const dest = rotatingLogDestination(path, { maxBytes: 1000, files: 50 });
    const lines = Array.from({ length: 100 }, (_, i) => `${JSON.stringify({ n: i, pad: "x".repeat(40) })}\n`);
    for (const l of lines) dest.write(l);
    await flushed(dest as never);
    await new Promise((r) => setTimeout(r, 100));
    const files = rotatedLogFiles(path, 50)
      .filter((f) => existsSync(f))
      .reverse();
    expect(files.length).toBeGreaterThan(3);
    expect(files.map((f) => readFileSync(f, "utf8")).join("")).toBe(lines.join(""));
  });

  it("keeps at most `files` files, dropping the oldest", async () => {
    const dir = mkdtempSync(join(tmpdir(), "cortex-rotate-"));
    dirs.push(dir);
    const path = join(dir, "daemon.log");
    const dest = rotatingLogDestination(path, { maxBytes: 200, files: 3 });
    for (let i = 0; i < 50; i += 1) dest.write(`${"y".repeat(99)}\n`);
    await flushed(dest as never);
    await new Promise((r) => setTimeout(r, 100));
    expect(existsSync(`${path}.2`)).toBe(true);
    expect(existsSync(`${path}.3`)).toBe(false);
  });
});
