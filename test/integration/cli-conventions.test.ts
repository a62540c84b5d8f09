/**
 * oclif conventions through the built CLI, no stack needed: `cortex help <command>`, a
 * mistyped command's suggestion when stdin is not a terminal (no prompt; exit 127, as
 * @oclif/plugin-not-found exits), shell completion, and the hint for a long flag typed
 * with one dash.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runCli } from "../support/cli.js";

const scratch = mkdtempSync(join(tmpdir(), "cortex-conventions-"));
// The autocomplete cache and CORTEX_HOME stay in the scratch directory.
const env = {
  PATH: process.env.PATH,
  HOME: scratch,
  XDG_CACHE_HOME: join(scratch, "cache"),
  CORTEX_HOME: scratch,
};

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe("cortex CLI conventions", () => {
  it("`cortex help ps` shows the ps command's help", async () => {
    const r = await runCli(["help", "ps"], env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("$ cortex ps");
  });

  it("`cortex sumbit` suggests submit without prompting, exit 127", async () => {
    const r = await runCli(["sumbit"], env);
    expect(r.code).toBe(127);
    expect(r.stderr).toContain("sumbit is not a cortex command");
    expect(r.stderr).toContain("Did you mean submit?");
  });

  it("`cortex autocomplete bash` prints the setup", async () => {
    const r = await runCli(["autocomplete", "bash"], env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("cortex autocomplete script bash");
  });

  it("a long flag typed with one dash gets a hint naming the flag, exit 2", async () => {
    const r = await runCli(["submit", "code", "--file", "a.py", "-instrucion", "x"], env);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("-instrucion is not a flag of this command");
    expect(r.stderr).toContain("Did you mean --instruction?");
  });
});
