import { describe, expect, it } from "vitest";
import { jsonStringFieldStream } from "../../../src/cli/json-string-stream.js";

const DOC = JSON.stringify({ revised_code: 'def f():\n\treturn "é\\😀"\n', explanation: "x" });

function decodeInChunks(size: number): string {
  const feed = jsonStringFieldStream("revised_code");
  let out = "";
  for (let i = 0; i < DOC.length; i += size) out += feed(DOC.slice(i, i + size));
  return out;
}

describe("jsonStringFieldStream", () => {
  it("decodes the field's value whatever the chunk size, and drops the rest of the JSON", () => {
    const whole = JSON.parse(DOC).revised_code as string;
    for (const size of [1, 2, 3, 5, 7, DOC.length]) expect(decodeInChunks(size)).toBe(whole);
  });

  it("decodes escaped non-ASCII (\\u escapes, surrogate pairs split across chunks)", () => {
    const feed = jsonStringFieldStream("revised_code");
    const parts = ['{"revised', '_code" : "a\\u00', "e9\\ud83d", "\\ude00", 'b"}'];
    expect(parts.map(feed).join("")).toBe("aé😀b");
  });

  it("prints nothing for an answer without the field", () => {
    const feed = jsonStringFieldStream("revised_code");
    expect(feed('{"other": "value"}')).toBe("");
  });
});
