import { homedir } from "node:os";
import { join } from "node:path";
import { z } from "zod";
import { CortexError, ErrorCode } from "../core/errors.js";
import { isValidTopic } from "../core/subjects.js";
import { isValidTopicPattern, nonEmptyString, positiveInt } from "./fields.js";
import { parseParams, toProblems } from "./issues.js";

/** Every environment variable cortex reads, with its default. Empty values count as unset. */

const PORT_ERROR = "expected an integer port 0..65535";
const COUNT_ERROR = "expected a positive integer";

// Digits are checked on the string (not coerced first) so an error can echo what the user typed.
const port = (fallback: number) =>
  z
    .string()
    .regex(/^[0-9]{1,5}$/, { error: PORT_ERROR })
    .transform(Number)
    .pipe(z.number().max(65535, { error: PORT_ERROR }))
    .default(fallback);

const count = (fallback: number) =>
  z
    .string()
    .regex(/^[0-9]{1,15}$/, { error: COUNT_ERROR })
    .transform(Number)
    .pipe(positiveInt())
    .default(fallback);

const REPLICAS_ERROR = "expected 1..5 (a stream's replicas; more than 1 needs a JetStream cluster)";

const replicas = (fallback: number) =>
  z
    .string()
    .regex(/^[1-5]$/, { error: REPLICAS_ERROR })
    .transform(Number)
    .default(fallback);

const url = (protocols: RegExp, example: string, fallback: string) =>
  z.url({ protocol: protocols, error: `expected a URL like ${example}` }).default(fallback);

const HOST_PORT_RE = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):([0-9]{1,5})$/;

/** `host:port` (or `[v6]:port`) as grpc-js dials it; the port must be in range, not just digits. */
const hostPort = () =>
  z.string().refine(
    (s) => {
      const m = HOST_PORT_RE.exec(s);
      return m !== null && Number(m[2]) <= 65535;
    },
    { error: "expected host:port (e.g. 127.0.0.1:8080)" },
  );

/** nats.js takes one server or a comma-separated list, each `host:port` or a nats/tls/ws URL. */
const natsServers = () =>
  z
    .string()
    .default("nats://127.0.0.1:4222")
    .refine(
      (s) => s.split(",").every((part) => /^((nats|tls|ws|wss):\/\/)?[^\s/,]+(:\d+)?\/?$/.test(part.trim())),
      {
        error: "expected a NATS URL like nats://127.0.0.1:4222 (comma-separated for several)",
      },
    );

const FLAG_ERROR = "expected 1, 0, true, false, yes, no, on or off";
const flag = () =>
  z
    .string()
    .transform((s) => s.trim().toLowerCase())
    .pipe(z.enum(["1", "0", "true", "false", "yes", "no", "on", "off"], { error: FLAG_ERROR }))
    .transform((s) => ["1", "true", "yes", "on"].includes(s));

const topicList = () =>
  z
    .string()
    .transform((s) =>
      s
        .split(",")
        .map((t) => t.trim())
        .filter((t) => t !== ""),
    )
    .pipe(
      z
        .array(
          z.string().refine(isValidTopicPattern, {
            error: "expected comma-separated topics such as job.echo,job.chat.*",
          }),
        )
        .min(1, { error: "expected at least one topic" }),
    );

const envSchema = z.object({
  /** embedded (one process, SQLite) or nats; unset: nats when NATS_URL or REDIS_URL is set. */
  CORTEX_BACKEND: z.enum(["embedded", "nats"], { error: 'expected "embedded" or "nats"' }).optional(),
  NATS_URL: natsServers(),
  REDIS_URL: url(/^rediss?$/, "redis://127.0.0.1:6379", "redis://127.0.0.1:6379"),
  /** NATS `.creds` file (JWT + nkey seed); user:pass or a token can also sit in NATS_URL. */
  NATS_CREDS: nonEmptyString().optional(),
  /** PEM files for TLS to NATS: a private CA, and a client certificate + key for mutual TLS. */
  NATS_TLS_CA: nonEmptyString().optional(),
  NATS_TLS_CERT: nonEmptyString().optional(),
  NATS_TLS_KEY: nonEmptyString().optional(),
  /** The same for Redis; a rediss:// URL uses TLS with the system CAs when these are unset. */
  REDIS_TLS_CA: nonEmptyString().optional(),
  REDIS_TLS_CERT: nonEmptyString().optional(),
  REDIS_TLS_KEY: nonEmptyString().optional(),
  /** num_replicas of cortex's JetStream streams: 3 on a 3-node cluster, 1 on one server. */
  CORTEX_STREAM_REPLICAS: replicas(1),
  OLLAMA_URL: url(/^https?$/, "http://127.0.0.1:11434", "http://127.0.0.1:11434"),
  OLLAMA_MODEL: nonEmptyString().default("llama3"),
  // Optional: unset means the LLM client's own default (120 s of silence from Ollama).
  OLLAMA_TIMEOUT_MS: z
    .string()
    .regex(/^[0-9]{1,15}$/, { error: COUNT_ERROR })
    .transform(Number)
    .pipe(positiveInt())
    .optional(),
  API_KEY: z.string().optional(),
  /** YAML/JSON file of API keys bound to tenants (src/config/api-keys.ts). */
  CORTEX_API_KEYS_FILE: nonEmptyString().optional(),
  SAFETY_KERNEL_ADDR: hostPort().optional(),
  CORTEX_HOME: nonEmptyString().optional(),
  CORTEX_BIND: nonEmptyString().default("127.0.0.1"),
  CORTEX_GRPC_PORT: port(8080),
  CORTEX_HTTP_PORT: port(8081),
  CORTEX_SAFETY_PORT: port(50051),
  // One /metrics per process; the three below are the all-in-one daemon's aliases of it.
  CORTEX_METRICS_PORT: port(9090),
  CORTEX_SCHEDULER_METRICS_PORT: port(9090),
  CORTEX_ORCHESTRATOR_METRICS_PORT: port(9091),
  CORTEX_GATEWAY_METRICS_PORT: port(9092),
  CORTEX_KEY_PREFIX: z.string().default(""),
  CORTEX_RETENTION_SECONDS: count(604800),
  CORTEX_LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  CORTEX_MAX_CONTEXT_BYTES: count(1048576),
  // The daemon log `cortex up` writes rotates at this size, keeping this many files in all.
  CORTEX_LOG_MAX_BYTES: count(10 * 1024 * 1024),
  CORTEX_LOG_FILES: count(5),
  // V8 old-space cap of the daemon `cortex up` starts (MB): an explicit cap also makes V8 grow
  // the heap conservatively, which keeps the resident size near the live set.
  CORTEX_DAEMON_HEAP_MB: count(512),
  CORTEX_GATEWAY_ADDR: hostPort().optional(),
  /** Set by `cortex up` on the daemon it starts; GetStatus reports it so `up` knows its own daemon. */
  CORTEX_INSTANCE_ID: nonEmptyString().optional(),
  /** Workflows ask the planner for a plan (default on); off = always the default plan. */
  USE_PLANNER: flag().optional(),
  /** Comma-separated topics (or patterns) a workflow step may use; unset = src/workers/orchestrator default. */
  CORTEX_WORKFLOW_TOPICS: topicList().optional(),
  /** Topic of the default plan's explain step: job.chat.advanced (default) or job.chat.simple. */
  CORTEX_WORKFLOW_EXPLAIN_TOPIC: z
    .string()
    .refine(isValidTopic, { error: "expected a topic such as job.chat.advanced" })
    .optional(),
  CORTEX_API_KEY: z.string().optional(),
  /** Absolute handler-module paths joined by the path delimiter (what `cortex up --worker` passes the daemon). */
  CORTEX_WORKER_MODULES: nonEmptyString().optional(),
});

type ParsedEnv = z.infer<typeof envSchema>;

/** The validated environment; addresses that default to a local port are filled in. */
export type Backend = "embedded" | "nats";

export type CortexEnv = Omit<
  ParsedEnv,
  "SAFETY_KERNEL_ADDR" | "CORTEX_HOME" | "CORTEX_GATEWAY_ADDR" | "CORTEX_BACKEND"
> & {
  CORTEX_BACKEND: Backend;
  /** Why that backend: "CORTEX_BACKEND", "NATS_URL", "REDIS_URL" or "default". */
  backendSource: "CORTEX_BACKEND" | "NATS_URL" | "REDIS_URL" | "default";
  SAFETY_KERNEL_ADDR: string;
  CORTEX_HOME: string;
  CORTEX_GATEWAY_ADDR: string;
};

export type CortexLogLevel = CortexEnv["CORTEX_LOG_LEVEL"];

/** Names of the variables loadEnv reads, e.g. for `cortex config` or docs. */
export const ENV_VARS = Object.keys(envSchema.shape) as (keyof ParsedEnv)[];

export function loadEnv(env: NodeJS.ProcessEnv = process.env): CortexEnv {
  const input: Record<string, string> = {};
  for (const name of ENV_VARS) {
    const value = env[name];
    // `API_KEY=` in a compose file or shell means "not set", not "set to nothing".
    if (value !== undefined && value !== "") input[name] = value;
  }
  const result = envSchema.safeParse(input, parseParams);
  if (!result.success) {
    const problems = toProblems(result.error.issues).map((p) => `environment variable ${p.text}`);
    const variable = String(result.error.issues[0]?.path[0] ?? "");
    throw new CortexError(ErrorCode.ConfigInvalid, problems[0] ?? "invalid environment", {
      hint: `Fix or unset ${variable}.`,
      cause: result.error,
      details: { variable, problems },
    });
  }
  const parsed = result.data;
  const backendSource = parsed.CORTEX_BACKEND
    ? "CORTEX_BACKEND"
    : input.NATS_URL !== undefined
      ? "NATS_URL"
      : input.REDIS_URL !== undefined
        ? "REDIS_URL"
        : "default";
  return {
    ...parsed,
    CORTEX_BACKEND: parsed.CORTEX_BACKEND ?? (backendSource === "default" ? "embedded" : "nats"),
    backendSource,
    SAFETY_KERNEL_ADDR: parsed.SAFETY_KERNEL_ADDR ?? `127.0.0.1:${parsed.CORTEX_SAFETY_PORT}`,
    CORTEX_GATEWAY_ADDR: parsed.CORTEX_GATEWAY_ADDR ?? `127.0.0.1:${parsed.CORTEX_GRPC_PORT}`,
    CORTEX_HOME: expandHome(parsed.CORTEX_HOME ?? "~/.cortex", env.HOME),
  };
}

/** Compose files and systemd units do not expand `~`, so cortex does it for them. */
function expandHome(path: string, home: string | undefined): string {
  if (path !== "~" && !path.startsWith("~/")) return path;
  return join(home || homedir(), path.slice(1));
}

/** REDIS_TLS_* as the store and the `up` probe take them (unset ones left out). */
export function redisTlsFiles(env: CortexEnv): {
  tlsCaFile?: string;
  tlsCertFile?: string;
  tlsKeyFile?: string;
} {
  const files: { tlsCaFile?: string; tlsCertFile?: string; tlsKeyFile?: string } = {};
  if (env.REDIS_TLS_CA !== undefined) files.tlsCaFile = env.REDIS_TLS_CA;
  if (env.REDIS_TLS_CERT !== undefined) files.tlsCertFile = env.REDIS_TLS_CERT;
  if (env.REDIS_TLS_KEY !== undefined) files.tlsKeyFile = env.REDIS_TLS_KEY;
  return files;
}
