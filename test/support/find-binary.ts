import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";

const EXTRA_DIRS = ["/usr/sbin", "/usr/local/sbin", "/usr/bin", "/usr/local/bin"];

/** Absolute path of an executable on PATH (plus the sbin dirs Debian uses), or undefined. */
export function findBinary(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? "").split(delimiter), ...EXTRA_DIRS];
  for (const dir of dirs) {
    if (!dir) continue;
    const full = join(dir, name);
    try {
      accessSync(full, constants.X_OK);
      return full;
    } catch {
      // not here
    }
  }
  return undefined;
}

export function missingServerError(name: string): Error {
  return new Error(
    `${name} not found on PATH. Tests run real servers: install them (Debian/Ubuntu: ` +
      "`apt-get install -y nats-server redis-server`; macOS: `brew install nats-server redis`), " +
      "or set CORTEX_TEST_DOCKER=1 with a running Docker engine.",
  );
}
