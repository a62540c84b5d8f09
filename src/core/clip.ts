/**
 * Untrusted strings (worker ids, topics, client ids) go into logs cut short: a 10 KB worker id
 * must not become a 10 KB log line.
 */
export const LOG_CLIP_CHARS = 200;

export function clip(value: string, max = LOG_CLIP_CHARS): string {
  if (value.length <= max) return value;
  return `${value.slice(0, max)}…(${value.length} chars)`;
}

/** An error as a log field without its stack: for expected, handled conditions. */
export function errFields(err: unknown): { code?: string; error: string } {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return { ...(typeof code === "string" ? { code } : {}), error: clip(err.message, 500) };
  }
  return { error: clip(String(err), 500) };
}
