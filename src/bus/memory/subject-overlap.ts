/** Whether two NATS subject patterns can match a common subject (`*` one token, `>` the rest). */
export function patternsOverlap(a: string, b: string): boolean {
  const x = a.split(".");
  const y = b.split(".");
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) {
    const s = x[i];
    const t = y[i];
    if (s === ">" || t === ">") return true;
    if (s !== t && s !== "*" && t !== "*") return false;
  }
  return x.length === y.length;
}
