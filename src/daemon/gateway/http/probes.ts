/**
 * Dependency probes behind /ready and GetStatus: /health says the process serves, /ready
 * says it can also reach the bus and the store (503 names what is down).
 */
import type { Bus } from "../../../bus/bus.js";
import { redactUrlsIn } from "../../../core/redact-url.js";
import type { JobStore } from "../../../store/job-store.js";

export const READY_CHECK_TIMEOUT_MS = 2_000;

export interface ProbeDeps {
  bus: Bus;
  store: JobStore;
  checkTimeoutMs?: number;
}

export type CheckResult = { ok: true } | { ok: false; error: string };

async function check(probe: () => Promise<void>, timeoutMs: number): Promise<CheckResult> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([probe(), timeout]);
    return { ok: true };
  } catch (err) {
    // /ready is unauthenticated: a library message naming a URL must not show its password.
    return { ok: false, error: redactUrlsIn(err instanceof Error ? err.message : String(err)) };
  } finally {
    clearTimeout(timer);
  }
}

export interface DepsProbe {
  bus: CheckResult;
  store: CheckResult;
}

/** Pings the bus and the store in parallel, each bounded by the timeout. */
export async function probeDeps(deps: ProbeDeps): Promise<DepsProbe> {
  const timeoutMs = deps.checkTimeoutMs ?? READY_CHECK_TIMEOUT_MS;
  const [bus, store] = await Promise.all([
    check(() => deps.bus.ping(timeoutMs), timeoutMs),
    check(() => deps.store.ping(), timeoutMs),
  ]);
  return { bus, store };
}

export async function readiness(deps: ProbeDeps): Promise<{ ready: boolean; body: Record<string, unknown> }> {
  const { bus, store } = await probeDeps(deps);
  const failed = [...(bus.ok ? [] : ["bus"]), ...(store.ok ? [] : ["store"])];
  const describe = (r: CheckResult) => (r.ok ? "ok" : r.error);
  return {
    ready: failed.length === 0,
    body: {
      status: failed.length === 0 ? "ready" : "not_ready",
      failed,
      checks: { bus: describe(bus), store: describe(store) },
    },
  };
}
