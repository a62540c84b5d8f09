/**
 * `submit code` patches and `cortex logs` through the built CLI, one stack for the file
 * (code-llm talking to the Ollama fixture): patch headers relative to the git work-tree root
 * whatever the cwd and however --file is spelled, the live tokens shown as code, --out
 * without the diff on stdout; logs raw when piped, across rotated files, one `component` key.
 */

import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execaSync } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliResult, runCli } from "../support/cli.js";
import { type OllamaFixture, startOllamaFixture } from "../support/ollama-fixture.js";
import { startTestStack, type TestStack } from "../support/stack.js";

const ORIGINAL = "def add(a, b):\n    return a + b\n";
const REVISED = 'def add(a: int, b: int) -> int:\n    return a + b  # "typed"\n';

describe("submit code patch paths and cortex logs", () => {
  let stack: TestStack;
  let fixture: OllamaFixture;
  let repo: string;
  let plain: string;

  const cliIn = (cwd: string, args: string[]): Promise<CliResult> => runCli(args, stack.env, 60_000, cwd);
  const submitCode = (cwd: string, file: string, extra: string[] = []) =>
    cliIn(cwd, ["submit", "code", "--file", file, "--instruction", "add type hints", "--wait", ...extra]);

  beforeAll(async () => {
    fixture = await startOllamaFixture();
    await fixture.setBehaviour({ answer: JSON.stringify({ revised_code: REVISED, explanation: "typed" }) });
    // Small files so the daemon's own start-up lines already rotate the log.
    stack = await startTestStack({
      extraEnv: { OLLAMA_URL: fixture.url, CORTEX_LOG_MAX_BYTES: "4096", CORTEX_LOG_FILES: "50" },
    });
    const up = await stack.cli(["up", "--json"]);
    expect(up.code, up.stderr).toBe(0);
    repo = mkdtempSync(join(tmpdir(), "cortex-paths-repo-"));
    execaSync("git", ["init", "-q", repo]);
    mkdirSync(join(repo, "src"));
    writeFileSync(join(repo, "src", "calc.py"), ORIGINAL);
    plain = mkdtempSync(join(tmpdir(), "cortex-paths-plain-"));
    writeFileSync(join(plain, "calc.py"), ORIGINAL);
  });

  afterAll(async () => {
    await stack?.stop();
    await fixture?.stop();
    for (const dir of [repo, plain]) if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const applies = (patch: string, cwd: string) => {
    writeFileSync(join(cwd, "fix.patch"), patch);
    execaSync("git", ["apply", "--check", "fix.patch"], { cwd });
    rmSync(join(cwd, "fix.patch"));
  };

  it("names the file from the work-tree root: absolute --file, relative --file, a subdirectory cwd", async () => {
    const runs = await Promise.all([
      submitCode(repo, join(repo, "src", "calc.py")),
      submitCode(repo, "src/calc.py"),
      submitCode(join(repo, "src"), "calc.py"),
    ]);
    for (const r of runs) {
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/^--- a\/src\/calc\.py\n\+\+\+ b\/src\/calc\.py\n@@/);
      applies(r.stdout, repo);
    }
    // The live tokens are the code the model writes, not its JSON.
    const live = runs[0]?.stderr ?? "";
    expect(live).toContain('return a + b  # "typed"');
    expect(live).not.toContain('{"revised_code"');
  });

  it("outside a repository the path is relative to the cwd; --out writes the file and prints no diff", async () => {
    const r = await submitCode(plain, join(plain, "calc.py"), ["--out", "calc.patch"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain("patch written to calc.patch");
    const patch = readFileSync(join(plain, "calc.patch"), "utf8");
    expect(patch).toMatch(/^--- a\/calc\.py\n/);
    rmSync(join(plain, "calc.patch"));
  });

  it("logs: raw JSON lines when piped, read across the rotated files, one component key each", async () => {
    const log = join(String(stack.env.CORTEX_HOME), "logs", "daemon.log");
    expect(existsSync(`${log}.1`)).toBe(true);
    const r = await stack.cli(["logs", "-n", "100000"]);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split("\n");
    // "daemon starting" is the first line, long since rotated out of daemon.log.
    expect(readFileSync(log, "utf8")).not.toContain('"daemon starting"');
    expect(lines.some((l) => l.includes('"msg":"daemon starting"'))).toBe(true);
    for (const line of lines) {
      expect(() => JSON.parse(line), line).not.toThrow();
      expect(line.split('"component":').length, line).toBeLessThanOrEqual(2);
    }
    const gateway = await stack.cli(["logs", "gateway", "--json", "-n", "3"]);
    expect(gateway.stdout.trim().split("\n")).toHaveLength(3);
    for (const l of gateway.stdout.trim().split("\n"))
      expect(JSON.parse(l)).toMatchObject({ component: "gateway" });
  });

  it("logs with an unknown component exits 2 listing the components", async () => {
    const r = await stack.cli(["logs", "bogus"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/Expected bogus to be one of: daemon, supervisor, gateway,\s+(›\s+)?scheduler/);
  });
});
