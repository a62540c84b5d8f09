/** What the daemon knows about each component it runs, reported by GetStatus and `cortex ps`. */
export type ComponentState = "starting" | "running" | "degraded" | "stopped";

export interface ComponentInfo {
  name: string;
  state: ComponentState;
  address: string;
  pid: number;
  startedAtMs: number;
  detail: string;
  /** host:port of the component's Prometheus endpoint; "" when it has none. */
  metricsAddress: string;
}

export interface Component {
  readonly name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Listening address, when the component listens. */
  address?(): string;
}

export const COMPONENT_NAMES = ["safety", "scheduler", "gateway", "workers"] as const;
export type ComponentName = (typeof COMPONENT_NAMES)[number];

export function parseOnly(value: string | undefined): ComponentName[] {
  if (!value) return [...COMPONENT_NAMES];
  const names = value
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  for (const n of names) {
    if (!(COMPONENT_NAMES as readonly string[]).includes(n)) {
      throw new Error(`unknown component "${n}" (expected some of: ${COMPONENT_NAMES.join(", ")})`);
    }
  }
  return names as ComponentName[];
}
