#!/usr/bin/env node
// Regenerates src/gen from proto/ with buf + ts-proto. With --check, fails when the
// committed src/gen differs from what the protos generate (stale codegen).
import { execFileSync } from "node:child_process";
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const check = process.argv.includes("--check");
const run = (cmd, args, opts = {}) => execFileSync(cmd, args, { stdio: "inherit", ...opts });

if (!check) {
  rmSync("src/gen", { recursive: true, force: true });
  run("npx", ["buf", "generate"]);
  process.exit(0);
}

const tmp = mkdtempSync(join(tmpdir(), "cortex-gen-"));
try {
  cpSync("src/gen", join(tmp, "committed"), { recursive: true });
  rmSync("src/gen", { recursive: true, force: true });
  run("npx", ["buf", "generate"]);
  try {
    execFileSync("diff", ["-r", "-q", join(tmp, "committed"), "src/gen"], { stdio: "inherit" });
    console.log("src/gen is up to date with proto/");
  } catch {
    console.error("src/gen is stale: run `npm run gen` and commit the result.");
    process.exitCode = 1;
  } finally {
    rmSync("src/gen", { recursive: true, force: true });
    cpSync(join(tmp, "committed"), "src/gen", { recursive: true });
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
