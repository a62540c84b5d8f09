/**
 * A long flag typed with one dash (`-instrucion x`) reaches oclif as a cluster of short
 * flags and fails with an unrelated error ("Unexpected argument: x"). When parsing failed,
 * this names the long flag such a word resembles, so the error says what to type.
 */
import { closest, distance } from "fastest-levenshtein";

const SINGLE_DASH_WORD = /^-([A-Za-z][A-Za-z0-9-]+)(?:=.*)?$/s;

export interface SingleDashHint {
  typed: string;
  flag: string;
}

/** The first `-word` in argv (before `--`) close to one of `flagNames`, or undefined. */
export function singleDashHint(
  argv: readonly string[],
  flagNames: readonly string[],
): SingleDashHint | undefined {
  if (flagNames.length === 0) return undefined;
  for (const arg of argv) {
    if (arg === "--") return undefined;
    const word = SINGLE_DASH_WORD.exec(arg)?.[1];
    if (word === undefined) continue;
    const flag = closest(word, [...flagNames]);
    // At most a third of the word mistyped (two edits for short words), so noise is not "corrected".
    if (distance(word, flag) <= Math.max(2, Math.floor(word.length / 3))) return { typed: `-${word}`, flag };
  }
  return undefined;
}
