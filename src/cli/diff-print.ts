/**
 * Unified diffs for the terminal: coloured like `git diff` on a TTY, byte-for-byte plain
 * when piped, so `cortex submit code … > fix.patch` yields a patch that applies.
 */
import ansis from "ansis";

/** Colour only for a terminal that takes it (NO_COLOR and FORCE_COLOR are honoured by ansis). */
export function diffColourWanted(stream: NodeJS.WriteStream = process.stdout): boolean {
  return stream.isTTY === true && ansis.isSupported();
}

/** SGR codes written directly: ansis decides once per process, and callers here decide per stream. */
const sgr = (code: string) => (text: string) => `\u001b[${code}m${text}\u001b[0m`;
const bold = sgr("1");
const dim = sgr("2");
const red = sgr("31");
const green = sgr("32");
const cyan = sgr("36");

function colourLine(line: string): string {
  if (line.startsWith("+++ ") || line.startsWith("--- ")) return bold(line);
  if (line.startsWith("@@")) return cyan(line);
  if (line.startsWith("+")) return green(line);
  if (line.startsWith("-")) return red(line);
  if (line.startsWith("\\")) return dim(line);
  return line;
}

/** The patch as it should be printed; `colour` defaults to whether stdout is a colour terminal. */
export function formatDiff(patch: string, colour = diffColourWanted()): string {
  if (!colour) return patch;
  return patch
    .split("\n")
    .map((line) => (line === "" ? line : colourLine(line)))
    .join("\n");
}
