import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadConfig, packageRoot } from "../../../src/config/index.js";
import { CortexError, ErrorCode } from "../../../src/core/errors.js";

const shipped = (name: string) => join(packageRoot(), "config", name);
const tmp = mkdtempSync(join(tmpdir(), "cortex-load-config-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function copyShipped(name: string): string {
  const path = join(tmp, `copy-${name}`);
  copyFileSync(shipped(name), path);
  return path;
}

function write(name: string, text: string): string {
  const path = join(tmp, name);
  writeFileSync(path, text);
  return path;
}

function configError(env: NodeJS.ProcessEnv): CortexError {
  try {
    loadConfig({ env });
  } catch (err) {
    expect(err).toBeInstanceOf(CortexError);
    return err as CortexError;
  }
  throw new Error("expected loadConfig to throw");
}

describe("loadConfig", () => {
  it("loads the files the *_CONFIG_PATH variables point at", () => {
    const env = {
      POOL_CONFIG_PATH: write("pools.yaml", "topics:\n  job.custom: custom-pool\n"),
      TIMEOUT_CONFIG_PATH: write(
        "timeouts.yaml",
        "reconciler:\n  dispatch_timeout_seconds: 1\n  running_timeout_seconds: 2\n  scan_interval_seconds: 3\n",
      ),
      SAFETY_CONFIG_PATH: write("safety.yaml", "default_tenant: acme\ndefault_effect: deny\n"),
      CORTEX_GRPC_PORT: "18080",
    };
    const config = loadConfig({ env });
    expect(config.paths).toEqual({
      pools: env.POOL_CONFIG_PATH,
      timeouts: env.TIMEOUT_CONFIG_PATH,
      safety: env.SAFETY_CONFIG_PATH,
    });
    expect(config.pools).toEqual({ topics: { "job.custom": "custom-pool" } });
    expect(config.timeouts).toEqual({
      workflows: {},
      topics: {},
      reconciler: { dispatch_timeout_seconds: 1, running_timeout_seconds: 2, scan_interval_seconds: 3 },
    });
    expect(config.safety).toEqual({ default_tenant: "acme", default_effect: "deny", rules: [] });
    expect(config.env.CORTEX_GRPC_PORT).toBe(18080);
  });

  it("resolves a relative override against the working directory", () => {
    const path = copyShipped("pools.yaml");
    const config = loadConfig({ env: { POOL_CONFIG_PATH: relative(process.cwd(), path) } });
    expect(config.paths.pools).toBe(path);
  });

  it("a missing explicit file is CONFIG_NOT_FOUND naming the variable", () => {
    const err = configError({ TIMEOUT_CONFIG_PATH: join(tmp, "absent.yaml") });
    expect(err.code).toBe(ErrorCode.ConfigNotFound);
    expect(err.message).toBe(`${join(tmp, "absent.yaml")}: config file not found`);
    expect(err.hint).toContain("TIMEOUT_CONFIG_PATH");
  });

  const bad = write("bad.yaml", "bogus: 1\n");
  for (const [variable, expected] of [
    ["POOL_CONFIG_PATH", "topics, pools, workers"],
    ["TIMEOUT_CONFIG_PATH", "workflows, topics, reconciler"],
    ["SAFETY_CONFIG_PATH", "default_tenant, default_effect, rules"],
  ] as const) {
    it(`throws when only ${variable} points at a bad file`, () => {
      const err = configError({ [variable]: bad });
      expect(err.code).toBe(ErrorCode.ConfigInvalid);
      expect(err.message).toMatch(
        new RegExp(
          `^${bad}:1: unknown key "bogus" \\(expected one of: ${expected}\\)( \\(and \\d+ more problems?\\))?$`,
        ),
      );
      expect(err.hint).toBe(`Fix the file or point ${variable} at another one.`);
    });
  }

  it("throws on a bad environment even when every file is fine", () => {
    const err = configError({ CORTEX_HTTP_PORT: "http" });
    expect(err.message).toBe(
      'environment variable CORTEX_HTTP_PORT: expected an integer port 0..65535, got "http"',
    );
  });
});
