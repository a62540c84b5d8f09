/** `cortex config check` through the built CLI: the shipped files, a bad file, the API keys file. */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { ConfigCheckResult } from "../../src/client/json-shapes.js";
import { packageRoot } from "../../src/config/package-root.js";
import { runCli } from "../support/cli.js";

const baseEnv = (): NodeJS.ProcessEnv => ({ PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: "1" });

describe("cortex config check", () => {
  const dir = mkdtempSync(join(tmpdir(), "cortex-config-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("accepts the shipped config", async () => {
    const r = await runCli(["config", "check", "--json"], baseEnv());
    expect(r.code, r.stderr).toBe(0);
    expect(r.json).toMatchObject({ ok: true, topics: 6, rules: 1 });
    expect((r.json as ConfigCheckResult).worker_kinds).toContain("orchestrator");
  });

  it("rejects a pools.yaml that routes a worker kind's topic elsewhere, unless that kind is not run", async () => {
    const path = join(dir, "echo-only.yaml");
    writeFileSync(path, "topics:\n  job.echo: echo\n  job.chat.simple: fast\n");
    const env = { ...baseEnv(), POOL_CONFIG_PATH: path };
    const r = await runCli(["config", "check"], env);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      `${path}: worker kind "chat-simple" consumes job.chat.simple in pool "chat-simple"`,
    );
    const echoOnly = await runCli(["config", "check", "--json", "--kinds", "echo"], env);
    expect(echoOnly.code, echoOnly.stderr).toBe(0);
    expect(echoOnly.json).toMatchObject({ ok: true, worker_kinds: ["echo"] });
  });

  it("rejects an unknown key with one line naming the file, line and key, exit 2", async () => {
    const path = join(dir, "pools.yaml");
    writeFileSync(path, "topics:\n  job.echo: echo\ntopicz: {}\n");
    const r = await runCli(["config", "check"], { ...baseEnv(), POOL_CONFIG_PATH: path });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${path}:3: unknown key "topicz"`);
  });

  it("loads and routes the handler modules pools.yaml names, as `cortex up` does", async () => {
    const sdk = join(packageRoot(), "dist/sdk/index.js");
    writeFileSync(
      join(dir, "good.mjs"),
      `import { defineWorker } from ${JSON.stringify(sdk)};\nexport default defineWorker({ pool: "mine", topics: { "job.mine": () => 1 } });\n`,
    );
    writeFileSync(join(dir, "broken.mjs"), "export default {;\n");
    const pools = (workers: string, route: string) => {
      const path = join(dir, `pools-${workers}-${route}.yaml`);
      writeFileSync(
        path,
        `topics:\n  job.echo: echo\n  job.mine: ${route}\nworkers:\n  - ./${workers}.mjs\n`,
      );
      return { ...baseEnv(), POOL_CONFIG_PATH: path };
    };
    const ok = await runCli(["config", "check", "--json", "--kinds", "echo"], pools("good", "mine"));
    expect(ok.code, ok.stderr).toBe(0);
    expect((ok.json as ConfigCheckResult).worker_modules).toEqual([
      { file: join(dir, "good.mjs"), pool: "mine", topics: ["job.mine"] },
    ]);
    const broken = await runCli(["config", "check", "--kinds", "echo"], pools("broken", "mine"));
    expect(broken.code).toBe(2);
    expect(broken.stderr).toContain(join(dir, "broken.mjs"));
    const misrouted = await runCli(["config", "check", "--kinds", "echo"], pools("good", "other"));
    expect(misrouted.code).toBe(2);
    expect(misrouted.stderr).toContain("job.mine");
  });

  it("validates CORTEX_API_KEYS_FILE without ever printing a key", async () => {
    const good = join(dir, "keys.yaml");
    writeFileSync(good, "keys:\n  - key: k-0123456789abcdef-acme\n    tenant: acme\n");
    const ok = await runCli(["config", "check", "--json"], { ...baseEnv(), CORTEX_API_KEYS_FILE: good });
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.json).toMatchObject({ api_keys: { path: good, keys: 1 } });
    expect(ok.stdout).not.toContain("k-0123456789abcdef-acme");

    const bad = join(dir, "bad-keys.yaml");
    writeFileSync(bad, "keys:\n  - key: short-secret\n");
    const r = await runCli(["config", "check"], { ...baseEnv(), CORTEX_API_KEYS_FILE: bad });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(bad);
    expect(r.stderr + r.stdout).not.toContain("short-secret");
  });
});
