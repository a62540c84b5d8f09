/**
 * The daemon log rotated by size: `daemon.log` is the current file, `daemon.log.1` the one
 * before it, up to `daemon.log.<files-1>`; the oldest is deleted. Renames plus a new pino
 * destination (SonicBoom) per file, so logging stays asynchronous and no line is split.
 * Whoever still holds an fd of a renamed file (the supervisor, a crash's stderr) writes on
 * into it, which is why `cortex logs` reads the rotated files too.
 */
import { mkdirSync, openSync, renameSync, rmSync, statSync } from "node:fs";
import { dirname } from "node:path";
import pino, { type DestinationStream } from "pino";
import { rotatedLogFiles } from "../core/log-files.js";

export interface LogRotation {
  /** Size at which the current file is rotated. */
  maxBytes: number;
  /** Files kept in all, the current one included (at least 1). */
  files: number;
}

/** Shifts every file one place older (`path` → `path.1` …), dropping the oldest. */
export function rotateLogFiles(path: string, files: number): void {
  const all = rotatedLogFiles(path, files);
  const oldest = all[all.length - 1] as string;
  rmSync(oldest, { force: true });
  for (let i = all.length - 1; i > 0; i -= 1) {
    try {
      renameSync(all[i - 1] as string, all[i] as string);
    } catch {
      // that generation does not exist yet
    }
  }
}

function sizeOf(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

/** A pino destination appending to `path` that rotates it once it reaches `maxBytes`. */
export function rotatingLogDestination(path: string, rotation: LogRotation): DestinationStream {
  mkdirSync(dirname(path), { recursive: true });
  // Opened here, synchronously: a path SonicBoom opened later could already be renamed.
  const open = () => pino.destination({ fd: openSync(path, "a"), sync: false });
  let sonic = open();
  let size = sizeOf(path);
  return {
    write(line: string): void {
      sonic.write(line);
      size += Buffer.byteLength(line);
      if (size < rotation.maxBytes || rotation.files < 2) return;
      // The renames follow the inodes, so what the old stream still buffers lands in the file
      // it was meant for (now path.1); a new stream starts the new path. No line is reordered.
      rotateLogFiles(path, rotation.files);
      sonic.end();
      sonic = open();
      size = 0;
    },
    // logger.flush() (before a clean exit) reaches the file through this.
    flush(cb: (err?: Error) => void): void {
      sonic.flush(cb);
    },
  } as DestinationStream;
}
