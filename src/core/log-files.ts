/**
 * The files of the daemon log rotated by size, newest first: `daemon.log` (current),
 * `daemon.log.1`, … up to `files` in all. Shared by the daemon that rotates them and
 * `cortex logs` that reads across them.
 */
export function rotatedLogFiles(path: string, files: number): string[] {
  return Array.from({ length: Math.max(1, files) }, (_, i) => (i === 0 ? path : `${path}.${i}`));
}
