/**
 * Answers `cortex --version` (and the package's other version flags) before oclif loads:
 * importing @oclif/core alone costs more than a whole `node -e 0`, and printing a version
 * needs nothing but package.json. The line is the one oclif itself prints (its
 * `config.userAgent`), so the answer does not depend on which path produced it.
 *
 * Kept free of imports beyond node: so bin/run.cjs can load it without the rest of the CLI.
 * CommonJS (.cts) so that path never starts Node's ESM loader; it writes with writeSync on
 * fd 1 because creating process.stdout loads the stream modules, a few ms of a 30 ms budget.
 */
import { existsSync, readFileSync, writeSync } from "node:fs";
import { arch, platform, release } from "node:os";

/** The parts of package.json the fast path reads. */
export interface PackageJson {
  name: string;
  version: string;
  oclif?: { additionalVersionFlags?: string[] };
}

/** oclif prints the version when the first argument is `--version` or one of these. */
export function versionFlags(pjson: PackageJson): string[] {
  return ["--version", ...(pjson.oclif?.additionalVersionFlags ?? [])];
}

/** What oclif prints for --version: `cortex/0.1.0 linux-x64 node-v20.20.2`. */
export function versionLine(pjson: PackageJson): string {
  const cpu = arch() === "ia32" ? "x86" : arch();
  return `${pjson.name}/${pjson.version || "0.0.0"} ${oclifPlatform()}-${cpu} node-${process.version}`;
}

/**
 * Handles argv without oclif when it can: prints and returns true, or returns false and
 * the caller runs oclif. Only the first argument counts, as in oclif (`cortex ps --version`
 * is the ps command's business).
 */
export function runFastPath(
  argv: readonly string[],
  packageJsonPath: string | URL,
  write: (s: string) => void = (s) => {
    writeSync(1, s);
  },
): boolean {
  const first = argv[0];
  if (first === undefined) return false;
  const pjson = JSON.parse(readFileSync(packageJsonPath, "utf8")) as PackageJson;
  if (!versionFlags(pjson).includes(first)) return false;
  write(`${versionLine(pjson)}\n`);
  return true;
}

/** oclif names WSL `wsl` rather than `linux` (it asks the is-wsl package; same checks here). */
function oclifPlatform(): string {
  const p = platform();
  if (p !== "linux") return p;
  return isWsl() ? "wsl" : p;
}

function isWsl(): boolean {
  let microsoft = release().toLowerCase().includes("microsoft");
  if (!microsoft) {
    try {
      microsoft = readFileSync("/proc/version", "utf8").toLowerCase().includes("microsoft");
    } catch {
      // no /proc: not WSL
    }
  }
  if (!microsoft && !existsSync("/proc/sys/fs/binfmt_misc/WSLInterop") && !existsSync("/run/WSL")) {
    return false;
  }
  return !insideContainer();
}

function insideContainer(): boolean {
  if (existsSync("/run/.containerenv") || existsSync("/.dockerenv")) return true;
  try {
    return readFileSync("/proc/self/cgroup", "utf8").includes("docker");
  } catch {
    return false;
  }
}
