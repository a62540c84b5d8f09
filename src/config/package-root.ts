import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { CortexError, ErrorCode } from "../core/errors.js";

const PACKAGE_NAME = "cortex";
let cached: string | undefined;

/**
 * The directory holding cortex's own package.json. Found by walking up from this module
 * because it runs both as src/config/*.ts (vitest) and dist/config/*.js (built), and an
 * installed copy may live anywhere on disk.
 */
export function packageRoot(): string {
  if (cached !== undefined) return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, "package.json");
    if (existsSync(manifest) && readPackageName(manifest) === PACKAGE_NAME) {
      cached = dir;
      return dir;
    }
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  throw new CortexError(
    ErrorCode.Internal,
    `cannot find the ${PACKAGE_NAME} package root above ${import.meta.url}`,
    {
      hint: "Reinstall cortex: its package.json is missing.",
    },
  );
}

function readPackageName(manifest: string): string | undefined {
  try {
    const parsed: unknown = JSON.parse(readFileSync(manifest, "utf8"));
    if (
      typeof parsed === "object" &&
      parsed !== null &&
      "name" in parsed &&
      typeof parsed.name === "string"
    ) {
      return parsed.name;
    }
  } catch {
    // An unreadable or malformed package.json on the way up belongs to someone else: keep walking.
  }
  return undefined;
}

/** The config file shipped with the package, e.g. `config/pools.yaml`. */
export function shippedConfigPath(fileName: string): string {
  return join(packageRoot(), "config", fileName);
}
