import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { Config } from "@oclif/core";
import { execaSync } from "execa";
import { describe, expect, it } from "vitest";
import { type PackageJson, runFastPath, versionFlags, versionLine } from "../../../src/cli/fast-path.cjs";
import { packageRoot } from "../../../src/config/package-root.js";
import { CLI_BIN } from "../../support/cli.js";

const root = packageRoot();
const pjsonPath = join(root, "package.json");
const pjson = JSON.parse(readFileSync(pjsonPath, "utf8")) as PackageJson;

function fastPath(argv: string[]): { handled: boolean; out: string } {
  let out = "";
  const handled = runFastPath(argv, pjsonPath, (s) => {
    out += s;
  });
  return { handled, out };
}

describe("CLI fast path", () => {
  it("prints exactly what oclif prints for --version", async () => {
    const config = await Config.load(root);
    expect(versionLine(pjson)).toBe(config.userAgent);
  });

  it("answers --version and the package's additional version flags, nothing else", () => {
    expect(versionFlags(pjson)).toEqual(["--version", "-v", "version"]);
    for (const flag of versionFlags(pjson)) {
      expect(fastPath([flag])).toEqual({ handled: true, out: `${versionLine(pjson)}\n` });
    }
    for (const argv of [[], ["ps"], ["ps", "--version"], ["--help"], ["-h"], ["submit", "version"]]) {
      expect(fastPath(argv)).toEqual({ handled: false, out: "" });
    }
  });

  it("the built binary answers --version on the fast path and hands anything else to oclif", () => {
    const node = (args: string[]) =>
      execaSync(process.execPath, [CLI_BIN, ...args], { stripFinalNewline: false }).stdout;
    expect(node(["--version"])).toBe(`${versionLine(pjson)}\n`);
    // oclif's own help for a command proves the ESM side still loads from the CommonJS bin.
    expect(node(["ps", "--help"])).toContain("USAGE");
  });
});

/** Command ids as oclif derives them from the files under src/commands. */
function commandIds(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts"))
    .map((f) => relative(dir, join(dir, f)).replace(/\.ts$/, "").split("/").join(":"))
    .sort();
}

describe("oclif.manifest.json", () => {
  it("lists every command (npm run build regenerates it)", () => {
    const manifest = JSON.parse(readFileSync(join(root, "oclif.manifest.json"), "utf8")) as {
      version: string;
      commands: Record<string, unknown>;
    };
    expect(manifest.version).toBe(pjson.version);
    expect(Object.keys(manifest.commands).sort()).toEqual(commandIds(join(root, "src", "commands")));
  });
});
