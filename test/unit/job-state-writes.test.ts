/**
 * DESIGN.md "A job's path": src/jobs is the one place that writes job state or publishes
 * state events. Outside it (and the store adapters that implement the writes) no source
 * file calls a JobStore write or publishes on sys.job.event.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "../..");
const OWNERS = [/^src\/jobs\//, /^src\/store\//];
const STATE_WRITES = /\.(transition|createJob|admitJob|finishAttempt|putResult)\(/;
const EVENT_PUBLISH = /publish\w*\(\s*Subjects\.jobEvent\b/;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return /\.(ts|tsx|cts)$/.test(name) ? [path] : [];
  });
}

function offenders(pattern: RegExp): string[] {
  return sourceFiles(join(ROOT, "src"))
    .map((file) => relative(ROOT, file))
    .filter((file) => !OWNERS.some((owner) => owner.test(file)))
    .flatMap((file) =>
      readFileSync(join(ROOT, file), "utf8")
        .split("\n")
        .map((line, i) => ({ line, at: `${file}:${i + 1}` }))
        .filter(
          ({ line }) =>
            pattern.test(line) && !line.trimStart().startsWith("//") && !line.trimStart().startsWith("*"),
        )
        .map(({ at, line }) => `${at}: ${line.trim()}`),
    );
}

describe("job state is written only by src/jobs", () => {
  it("no component outside src/jobs calls a JobStore write", () => {
    expect(offenders(STATE_WRITES)).toEqual([]);
  });

  it("no component outside src/jobs publishes on sys.job.event", () => {
    expect(offenders(EVENT_PUBLISH)).toEqual([]);
  });

  it("the check sees the writes src/jobs makes", () => {
    const jobs = sourceFiles(join(ROOT, "src/jobs"))
      .map((f) => readFileSync(f, "utf8"))
      .join("\n");
    expect(jobs).toMatch(STATE_WRITES);
    expect(jobs).toMatch(/publishRaw\(Subjects\.jobEvent/);
  });
});
