/** `promtool check metrics` on Prometheus text, the way CI validates every metrics endpoint. */
import { execa } from "execa";
import { findBinary } from "./find-binary.js";

export interface PromtoolResult {
  code: number;
  /** promtool's findings (lint problems, parse errors), empty when clean. */
  output: string;
}

export function promtoolPath(): string {
  const path = findBinary("promtool");
  if (path === undefined) {
    throw new Error(
      "promtool not found on PATH. The metrics tests validate every endpoint with it: install it " +
        "(Debian/Ubuntu: `apt-get install -y prometheus`; macOS: `brew install prometheus`). .ci/run installs it.",
    );
  }
  return path;
}

export async function checkMetrics(text: string): Promise<PromtoolResult> {
  const r = await execa(promtoolPath(), ["check", "metrics"], { input: text, all: true, reject: false });
  // A promtool that could not start at all is the test's error, not a finding.
  if (r.exitCode === undefined && r.signal === undefined) throw r;
  return { code: r.exitCode ?? -1, output: r.all.trim() };
}
