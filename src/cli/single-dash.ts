/**
 * `cortex submit code-review -file x -instruction y` works as typed: the original scripts
 * spelled long flags with one dash, which oclif would read as `-f ile`. Before oclif parses,
 * known multi-letter long flags of those commands are rewritten to `--name`; short flags
 * (`-w`, `-f x`), other commands and everything after `--` are left alone.
 *
 * Kept free of imports so bin/run.cjs can load it without the rest of the CLI; a unit test
 * checks the lists against the commands' real flags.
 */

/** Command id (space-separated) → its long flag names that may be written with one dash. */
export const SINGLE_DASH_LONG_FLAGS: Readonly<Record<string, readonly string[]>> = {
  "submit code-review": [
    "file",
    "instruction",
    "language",
    "out",
    "apply",
    "wait",
    "timeout",
    "tenant",
    "priority",
    "json",
  ],
  "submit workflow": [
    "file",
    "instruction",
    "language",
    "out",
    "apply",
    "wait",
    "timeout",
    "tenant",
    "priority",
    "json",
  ],
  "submit code": [
    "file",
    "instruction",
    "language",
    "model",
    "out",
    "wait",
    "timeout",
    "tenant",
    "priority",
    "json",
  ],
};

const SINGLE_DASH_RE = /^-([A-Za-z][A-Za-z0-9-]+)(=.*)?$/s;

export function rewriteSingleDashFlags(argv: readonly string[]): string[] {
  const [first, second] = argv;
  if (first === undefined) return [...argv];
  // `submit code-review …` or `submit:code-review …`
  const spaced = second === undefined ? undefined : `${first} ${second}`;
  const id =
    spaced !== undefined && Object.hasOwn(SINGLE_DASH_LONG_FLAGS, spaced) ? spaced : first.replace(":", " ");
  const names = Object.hasOwn(SINGLE_DASH_LONG_FLAGS, id) ? SINGLE_DASH_LONG_FLAGS[id] : undefined;
  if (!names) return [...argv];
  const start = id === spaced ? 2 : 1;
  const out = argv.slice(0, start);
  let passThrough = false;
  for (const arg of argv.slice(start)) {
    if (arg === "--") passThrough = true;
    const m = passThrough ? null : SINGLE_DASH_RE.exec(arg);
    out.push(m?.[1] && names.includes(m[1]) ? `--${m[1]}${m[2] ?? ""}` : arg);
  }
  return out;
}
