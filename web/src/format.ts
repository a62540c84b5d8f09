export function ago(ms: number | undefined, now = Date.now()): string {
  if (!ms) return "—";
  const s = Math.max(0, Math.round((now - ms) / 1000));
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  return `${Math.floor(s / 3600)}h ago`;
}

export function time(ms: number | undefined): string {
  return ms ? new Date(ms).toLocaleTimeString() : "—";
}

/** A job result's `key` when it is a string (results are free-form JSON). */
export function field(result: unknown, key: string): string | undefined {
  if (typeof result !== "object" || result === null || Array.isArray(result)) return undefined;
  const v = (result as Record<string, unknown>)[key];
  return typeof v === "string" ? v : undefined;
}

const errorOf = (result: unknown): unknown =>
  typeof result === "object" && result !== null ? (result as { error?: unknown }).error : undefined;

/** Why a job failed: its result's error message, else the job's reason. */
export function failureOf(result: unknown, reason: string | undefined): string | undefined {
  return field(errorOf(result), "message") ?? reason;
}

/** What the failed job's error says to do about it. */
export function hintOf(result: unknown): string | undefined {
  return field(errorOf(result), "hint");
}
