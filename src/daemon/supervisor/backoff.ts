/** First restart delay; each quick crash in a row doubles it, up to RESTART_MAX_MS. */
export const RESTART_BASE_MS = 500;
export const RESTART_MAX_MS = 30_000;
/** A daemon that ran this long was healthy: the next crash starts the backoff over. */
export const HEALTHY_RUN_MS = 60_000;

/** Delay before restart number `crashesInARow` (1 = the first crash after a healthy run). */
export function restartDelayMs(crashesInARow: number): number {
  const exp = Math.min(Math.max(crashesInARow - 1, 0), 16);
  return Math.min(RESTART_BASE_MS * 2 ** exp, RESTART_MAX_MS);
}
