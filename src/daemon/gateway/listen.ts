/** The gateway's listening helpers: addresses, its version for GetStatus, a port-in-use error. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { packageRoot } from "../../config/package-root.js";
import { CortexError, ErrorCode } from "../../core/errors.js";

export function hostPort(host: string, port: number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

export function readVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(join(packageRoot(), "package.json"), "utf8")) as { version?: string };
    return pkg.version ?? "0.0.0";
  } catch {
    return "0.0.0";
  }
}

export function portInUse(what: string, address: string, envVar: string, cause: unknown): CortexError {
  return new CortexError(ErrorCode.Internal, `gateway cannot listen for ${what} on ${address}`, {
    hint: `Another process may hold the port: stop it, or set ${envVar} to a free port.`,
    cause,
  });
}
