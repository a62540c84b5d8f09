/** The bench's command-line flags, parsed and checked. */
import { parseArgs } from "node:util";
import { CortexError, ErrorCode } from "../src/core/errors.js";

export type CortexClientKind = "stream" | "unary";
export type Backend = "nats" | "embedded";

const BACKENDS: readonly Backend[] = ["nats", "embedded"];
const isBackend = (v: string): v is Backend => (BACKENDS as readonly string[]).includes(v);

const CLIENT_CHOICES: Record<string, CortexClientKind[]> = {
  both: ["stream", "unary"],
  stream: ["stream"],
  unary: ["unary"],
};

const { values } = parseArgs({
  options: {
    n: { type: "string", default: "2000" },
    w: { type: "string", default: "64" },
    payload: { type: "string", default: "100" },
    rounds: { type: "string", default: "2" },
    vs: { type: "string" },
    client: { type: "string", default: "both" },
    startup: { type: "boolean", default: true },
    "no-startup": { type: "boolean", default: false },
    warmup: { type: "string", default: "200" },
    profile: { type: "string" },
    "split-workers": { type: "boolean", default: false },
    backend: { type: "string", default: "nats" },
  },
});

const bad = (msg: string) => new CortexError(ErrorCode.InvalidArgument, msg);

const int = (name: string, v: string | undefined) => {
  const x = Number(v);
  if (!Number.isInteger(x) || x < 0) throw bad(`--${name} must be a non-negative integer, got ${v}`);
  return x;
};

if (values.vs !== undefined && values.vs !== "bullmq") throw bad("--vs takes only bullmq");
const clients = CLIENT_CHOICES[values.client];
if (clients === undefined) throw bad(`--client takes unary, stream or both, got ${values.client}`);
const backend = values.backend;
if (!isBackend(backend)) throw bad(`--backend takes nats or embedded, got ${backend}`);
// A worker process could not reach an in-process bus.
if (backend === "embedded" && values["split-workers"])
  throw bad("--split-workers needs --backend nats: the embedded bus lives inside the daemon");

export const flags = {
  n: int("n", values.n),
  w: Math.max(1, int("w", values.w)),
  rounds: Math.max(1, int("rounds", values.rounds)),
  payload: "x".repeat(int("payload", values.payload)),
  warmup: int("warmup", values.warmup),
  vsBullmq: values.vs === "bullmq",
  clients,
  startup: values.startup && !values["no-startup"],
  profile: values.profile,
  splitWorkers: values["split-workers"],
  backend,
};
