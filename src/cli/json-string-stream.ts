/**
 * Live text of one string field of a JSON object the model streams token by token: code-llm's
 * answer is `{"revised_code": "…"}`, and a person watching wants the code, not its JSON
 * escaping. Incremental, so a token split anywhere (inside the key, an escape or a surrogate
 * pair) decodes the same as the whole text; what precedes and follows the value is dropped.
 */

const ESCAPES: Record<string, string> = {
  '"': '"',
  "\\": "\\",
  "/": "/",
  b: "\b",
  f: "\f",
  n: "\n",
  r: "\r",
  t: "\t",
};

/** Returns a function fed each chunk of the JSON text; it returns the newly decoded part of the value. */
export function jsonStringFieldStream(field: string): (chunk: string) => string {
  const keyRe = new RegExp(`"${field.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}"\\s*:\\s*"`);
  let state: "seek" | "value" | "done" = "seek";
  let carry = "";
  let highSurrogate = "";
  return (chunk) => {
    if (state === "done") return "";
    let text = carry + chunk;
    carry = "";
    if (state === "seek") {
      const m = keyRe.exec(text);
      if (!m) {
        // Keep a tail long enough to hold a key split across chunks.
        carry = text.slice(-(field.length + 16));
        return "";
      }
      state = "value";
      text = text.slice(m.index + m[0].length);
    }
    let out = "";
    let i = 0;
    while (i < text.length) {
      const c = text[i] as string;
      if (c === '"') {
        state = "done";
        break;
      }
      if (c !== "\\") {
        out += c;
        i += 1;
        continue;
      }
      const e = text[i + 1];
      if (e === undefined) break;
      if (e !== "u") {
        out += ESCAPES[e] ?? e;
        i += 2;
        continue;
      }
      const hex = text.slice(i + 2, i + 6);
      if (hex.length < 4) break;
      const unit = String.fromCharCode(Number.parseInt(hex, 16));
      i += 6;
      // A high surrogate waits for its pair so no half character is ever written.
      if (unit >= "\ud800" && unit <= "\udbff") highSurrogate = unit;
      else {
        out += highSurrogate + unit;
        highSurrogate = "";
      }
    }
    if (state === "value") carry = text.slice(i);
    return out;
  };
}
