/** Durations written in config files: `90s`, `30m`, `24h`, `7d`, or a plain number of seconds. Pure. */
const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const DURATION = /^(\d+)(s|m|h|d)$/;

/** Milliseconds, or undefined when `value` is not a positive duration. */
export function parseDurationMs(value: string | number): number | undefined {
  if (typeof value === "number") return Number.isInteger(value) && value > 0 ? value * 1_000 : undefined;
  const m = DURATION.exec(value.trim());
  if (m === null) return undefined;
  const n = Number(m[1]);
  return n > 0 ? n * UNIT_MS[m[2] as keyof typeof UNIT_MS] : undefined;
}

/** The shortest config spelling of `ms` (`86400000` -> `1d`), for messages. */
export function formatDurationMs(ms: number): string {
  for (const [unit, size] of [
    ["d", UNIT_MS.d],
    ["h", UNIT_MS.h],
    ["m", UNIT_MS.m],
  ] as const) {
    if (ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${Math.round(ms / 1_000)}s`;
}
