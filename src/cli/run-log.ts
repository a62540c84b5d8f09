/**
 * This run's part of the daemon log: `cortex up` marks where the log ends before it starts
 * the daemon, and on failure reads only what was written after the mark, so old lines
 * never pose as this run's error. The mark is the file's inode and size: the daemon may
 * rotate the log meanwhile (src/daemon/rotating-log.ts), and the lines written through
 * the fd `up` opened then sit in daemon.log.<n>.
 */
import { closeSync, openSync, readSync, statSync } from "node:fs";
import { stripVTControlCharacters } from "node:util";
import { rotatedLogFiles } from "../core/log-files.js";

export interface LogMark {
  path: string;
  files: number;
  /** Inode of the current file when marked; undefined when there was none. */
  ino: number | undefined;
  size: number;
}

export function markLog(path: string, files: number): LogMark {
  try {
    const st = statSync(path);
    return { path, files, ino: st.ino, size: st.size };
  } catch {
    return { path, files, ino: undefined, size: 0 };
  }
}

function readFrom(path: string, offset: number): string {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch {
    return "";
  }
  try {
    const size = statSync(path).size;
    // Bounded: a run that failed at startup writes little; the tail is where its error is.
    const start = Math.max(offset, size - 256 * 1024);
    const buf = Buffer.alloc(Math.max(0, size - start));
    readSync(fd, buf, 0, buf.length, start);
    return buf.toString("utf8");
  } finally {
    closeSync(fd);
  }
}

/** The lines written to the log since `mark`, oldest first. */
export function linesSince(mark: LogMark): string[] {
  const files = rotatedLogFiles(mark.path, mark.files);
  const inodes = files.map((f) => {
    try {
      return statSync(f).ino;
    } catch {
      return undefined;
    }
  });
  const at = mark.ino === undefined ? -1 : inodes.indexOf(mark.ino);
  const parts: string[] = [];
  // Oldest first: the marked file from the mark on, then every file rotated in after it.
  if (at >= 0) parts.push(readFrom(files[at] as string, mark.size));
  const newer = at >= 0 ? files.slice(0, at) : mark.ino === undefined ? files : [mark.path];
  for (const f of [...newer].reverse()) parts.push(readFrom(f, 0));
  return parts
    .join("\n")
    .split("\n")
    .filter((l) => l.trim() !== "");
}

interface LogRecord {
  level?: unknown;
  msg?: unknown;
  name?: unknown;
  err?: { message?: unknown };
}

/**
 * The one or two lines that say why this run failed: the daemon's own "Error: …" lines
 * (what it prints on stderr before exiting), else its first error-level log line. The
 * supervisor's "not restarting" line only points at those, so it comes last.
 */
export function runError(lines: readonly string[]): string[] {
  const plain = lines.map((l) => stripVTControlCharacters(l));
  const errorAt = plain.findIndex((l) => l.startsWith("Error:"));
  if (errorAt >= 0) {
    const next = plain[errorAt + 1];
    const hint = next !== undefined && !next.startsWith("{") ? [next.trim()] : [];
    return [plain[errorAt] as string, ...hint].filter((l) => l !== "");
  }
  const records = plain.flatMap((l): { rec: LogRecord; line: string }[] => {
    try {
      return [{ rec: JSON.parse(l) as LogRecord, line: l }];
    } catch {
      return [];
    }
  });
  const errors = records.filter((r) => Number(r.rec.level) >= 50);
  const own = errors.find((r) => r.rec.name !== "supervisor") ?? errors[0];
  if (own === undefined) return [];
  const why = typeof own.rec.err?.message === "string" ? `: ${own.rec.err.message}` : "";
  return [`${String(own.rec.msg ?? "daemon error")}${why}`];
}
