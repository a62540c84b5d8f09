/**
 * What `cortex logs` prints: the daemon's JSON lines, filtered by component, read across the
 * rotated files (src/core/log-files.ts), and pretty-printed (pino-pretty) for a terminal.
 */
import { createReadStream, existsSync } from "node:fs";
import { createInterface } from "node:readline";
import { prettyFactory } from "pino-pretty";
import { rotatedLogFiles } from "../core/log-files.js";

/** The `component` values the daemon's lines carry (`supervisor` is the restarter's `name`). */
export const LOG_COMPONENTS = [
  "daemon",
  "supervisor",
  "gateway",
  "scheduler",
  "safety",
  "jobs",
  "workers",
  "orchestrator",
  "llm",
  "bus",
  "store",
] as const;

interface LogRecord {
  time?: unknown;
  component?: unknown;
  name?: unknown;
}

/** Whose line it is; the worker runtime tags its lines `worker`, listed as the `workers` component. */
export function componentOf(rec: LogRecord): string {
  const c =
    typeof rec.component === "string" ? rec.component : typeof rec.name === "string" ? rec.name : "daemon";
  return c === "worker" ? "workers" : c;
}

export interface ParsedLine {
  line: string;
  time: number;
  component: string | undefined;
}

/** A line of the log; a non-JSON line (a crash trace on stderr) has no component. */
export function parseLine(line: string): ParsedLine | undefined {
  if (line.trim() === "") return undefined;
  try {
    const rec = JSON.parse(line) as LogRecord;
    return { line, time: Number(rec.time ?? 0), component: componentOf(rec) };
  } catch {
    return { line, time: 0, component: undefined };
  }
}

export function matches(parsed: ParsedLine, component: string | undefined): boolean {
  return component === undefined || parsed.component === component;
}

/**
 * The last `count` lines of `component` (or all), oldest first, across the rotated files.
 * Older files are read only while the newer ones hold fewer than `count` such lines.
 */
export async function lastLines(
  path: string,
  files: number,
  component: string | undefined,
  count: number,
): Promise<ParsedLine[]> {
  const picked: ParsedLine[] = [];
  for (const file of rotatedLogFiles(path, files)) {
    if (picked.length >= count) break;
    if (!existsSync(file)) continue;
    const own: ParsedLine[] = [];
    for await (const line of createInterface({ input: createReadStream(file) })) {
      const parsed = parseLine(line);
      if (parsed && matches(parsed, component)) own.push(parsed);
      if (own.length > count) own.shift();
    }
    picked.unshift(...own);
  }
  // The supervisor's lines sit in whichever file its fd pointed to; order by time within the tail.
  const timed = picked.slice(-count);
  return timed.every((p) => p.time > 0) ? timed.sort((a, b) => a.time - b.time) : timed;
}

/** One line for a terminal: time, level, component, message and the other fields, coloured. */
export function prettyLogLine(colour: boolean): (line: string) => string {
  const pretty = prettyFactory({
    colorize: colour,
    translateTime: "SYS:HH:MM:ss.l",
    ignore: "pid,hostname,component,name",
    singleLine: true,
    messageFormat: (log, key) => `${componentOf(log)} ${String(log[key] ?? "")}`,
  });
  return (line) => {
    try {
      return pretty(JSON.parse(line)).replace(/\n$/, "");
    } catch {
      return line;
    }
  };
}
