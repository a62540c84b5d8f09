/** `promtool check metrics` on Prometheus text, the way CI validates every metrics endpoint. */
import { spawn } from "node:child_process";
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

export function checkMetrics(text: string): Promise<PromtoolResult> {
  const bin = promtoolPath();
  return new Promise((resolve, reject) => {
    const child = spawn(bin, ["check", "metrics"], { stdio: ["pipe", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (d) => {
      output += String(d);
    });
    child.stderr.on("data", (d) => {
      output += String(d);
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? -1, output: output.trim() }));
    child.stdin.end(text);
  });
}
