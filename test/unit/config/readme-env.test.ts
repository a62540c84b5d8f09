/**
 * The README's environment table lists every variable src/ reads: the schema of loadEnv,
 * `process.env.NAME` / `process.env[NAME_CONST]` reads, and the `*_ENV_VAR` / `*_ENV`
 * name constants. Variables that are not cortex's (PATH, HOME, NODE_OPTIONS) are exempt.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { ENV_VARS } from "../../../src/config/env.js";

const ROOT = resolve(import.meta.dirname, "../../..");
const NOT_OURS = new Set(["PATH", "HOME", "NODE_OPTIONS"]);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === "gen" ? [] : sourceFiles(path);
    return /\.(ts|tsx|cts)$/.test(name) ? [path] : [];
  });
}

/** Names src/ reads from the environment outside loadEnv's schema. */
function namesReadInSource(): Set<string> {
  const names = new Set<string>();
  const constants = new Map<string, string>();
  const texts = sourceFiles(join(ROOT, "src")).map((f) => readFileSync(f, "utf8"));
  for (const text of texts) {
    for (const m of text.matchAll(/\b([A-Z][A-Z0-9_]*_ENV(?:_VAR)?)\s*=\s*"([A-Z][A-Z0-9_]*)"/g))
      constants.set(m[1] as string, m[2] as string);
  }
  for (const text of texts) {
    for (const m of text.matchAll(/process\.env\.([A-Z][A-Z0-9_]*)/g)) names.add(m[1] as string);
    for (const m of text.matchAll(/process\.env\[\s*(?:"([A-Z][A-Z0-9_]*)"|([A-Z][A-Z0-9_]*))\s*\]/g)) {
      const name = m[1] ?? constants.get(m[2] as string);
      if (name !== undefined) names.add(name);
    }
  }
  for (const name of constants.values()) names.add(name);
  return names;
}

describe("README environment table", () => {
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  const listed = new Set([...readme.matchAll(/`([A-Z][A-Z0-9_]+)`/g)].map((m) => m[1] as string));

  it("lists every variable loadEnv reads", () => {
    expect(ENV_VARS.filter((name) => !listed.has(name))).toEqual([]);
  });

  it("lists every other variable src/ reads", () => {
    const read = [...namesReadInSource()].filter((n) => !NOT_OURS.has(n));
    expect(read.length).toBeGreaterThan(3);
    expect(read.filter((name) => !listed.has(name)).sort()).toEqual([]);
  });
});
