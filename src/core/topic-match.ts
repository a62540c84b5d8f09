/**
 * NATS-style subject patterns: tokens are separated by ".", `*` matches exactly one
 * token and `>` (last token only) matches one or more trailing tokens. Used by policy
 * rules and routing so they read like the subjects operators already know.
 */

/** A subject or pattern with an empty token ("a..b", ".a", "a.") is never matched. */
function tokens(s: string): string[] | undefined {
  if (s.length === 0) return undefined;
  const parts = s.split(".");
  return parts.includes("") ? undefined : parts;
}

/** True when `pattern` is well formed: no empty tokens and `>` only as the last token. */
export function isValidSubjectPattern(pattern: string): boolean {
  const parts = tokens(pattern);
  if (parts === undefined) return false;
  return parts.every((t, i) => t !== ">" || i === parts.length - 1);
}

/**
 * Does `subject` match `pattern`? A wildcard in `subject` is taken literally (a subject
 * is a concrete name); a malformed pattern or subject matches nothing.
 */
export function matchesSubject(pattern: string, subject: string): boolean {
  const p = tokens(pattern);
  const s = tokens(subject);
  if (p === undefined || s === undefined || !isValidSubjectPattern(pattern)) return false;
  for (let i = 0; i < p.length; i++) {
    const want = p[i];
    if (want === ">") return s.length > i;
    const got = s[i];
    if (got === undefined) return false;
    if (want !== "*" && want !== got) return false;
  }
  return s.length === p.length;
}
