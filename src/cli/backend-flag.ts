/** `--backend embedded|nats`: wins over CORTEX_BACKEND, NATS_URL and REDIS_URL (DESIGN.md "Backends"). */
import { Flags } from "@oclif/core";
import { CortexError, ErrorCode } from "../core/errors.js";

export const backendFlag = Flags.string({
  description:
    "embedded (one process, SQLite; the default) or nats (NATS JetStream + Redis; the default when NATS_URL or REDIS_URL is set)",
  options: ["embedded", "nats"],
});

/** Makes the flag the process's CORTEX_BACKEND, so loadEnv and the daemon it starts agree. */
export function applyBackendFlag(value: string | undefined): void {
  if (value !== undefined) process.env.CORTEX_BACKEND = value;
}

/** Components in other processes talk through NATS and Redis; the embedded bus lives in one process. */
export function splitNeedsNats(what: string): CortexError {
  return new CortexError(
    ErrorCode.InvalidArgument,
    `${what} needs the nats backend: the embedded backend runs in one process`,
    {
      hint: "Set NATS_URL and REDIS_URL (or pass --backend nats) for every process of the stack, e.g. `cortex up --backend nats`.",
    },
  );
}
