/**
 * Nesting depth of JSON text, measured without parsing: a 100k-deep document would
 * overflow the stack of every recursive walker after JSON.parse (stringify, zod, stores).
 */
export const MAX_JSON_DEPTH = 64;

/** True when the text nests arrays/objects deeper than `max`. Strings are skipped. */
export function jsonTooDeep(text: string, max = MAX_JSON_DEPTH): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
      continue;
    }
    if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > max) return true;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return false;
}
