/** The pure parts of code-llm and `cortex submit code`: answer checks, patch building, diff colours, file reading. */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stripVTControlCharacters } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { languageOf, readCodeFile } from "../../../src/cli/code-file.js";
import { formatDiff } from "../../../src/cli/diff-print.js";
import { isCortexError } from "../../../src/core/errors.js";
import { readAnswer } from "../../../src/workers/code-llm.js";
import { alignRevision, buildUnifiedDiff, patchPath } from "../../../src/workers/code-patch.js";

describe("readAnswer", () => {
  it("takes revised_code and the explanation, unwrapping a Markdown fence", () => {
    expect(readAnswer(JSON.stringify({ revised_code: "x = 1\n", explanation: " why " }))).toEqual({
      code: "x = 1\n",
      explanation: "why",
    });
    expect(readAnswer(JSON.stringify({ revised_code: "```py\nx = 1\n```" }))).toEqual({ code: "x = 1" });
  });

  it.each([
    ["", /empty/],
    ["{not json", /not valid JSON/],
    ['{"revised_code": 3}', /no "revised_code"/],
    ['["x"]', /no "revised_code"/],
    ['{"revised_code": "```\\n\\n```"}', /empty code/],
  ])("says why %j is unusable", (content, problem) => {
    const r = readAnswer(content);
    expect("problem" in r && r.problem).toMatch(problem);
  });
});

describe("patch building", () => {
  it("names files a/ and b/ without ./ or a leading /", () => {
    expect(patchPath("./src/x.ts")).toBe("src/x.ts");
    expect(patchPath("/abs/x.ts")).toBe("abs/x.ts");
    expect(patchPath("src\\win.ts")).toBe("src/win.ts");
  });

  it("keeps the original's line endings and final-newline convention", () => {
    expect(alignRevision("a\n", "b")).toBe("b\n");
    expect(alignRevision("a", "b\n")).toBe("b");
    expect(alignRevision("a\r\nb\r\n", "a\nc\n")).toBe("a\r\nc\r\n");
    expect(alignRevision("", "new\n")).toBe("new\n");
  });

  it("produces a git-style diff ending in a newline, marking a missing final newline", () => {
    const patch = buildUnifiedDiff("calc.py", "a = 1\nb = 2", "a = 1\nb = 3");
    expect(patch).toBe(
      "--- a/calc.py\n+++ b/calc.py\n@@ -1,2 +1,2 @@\n a = 1\n-b = 2\n\\ No newline at end of file\n+b = 3\n\\ No newline at end of file\n",
    );
  });
});

describe("formatDiff", () => {
  const patch = "--- a/x\n+++ b/x\n@@ -1 +1 @@\n-old\n+new\n";

  it("leaves the patch byte-for-byte when colour is off (piped)", () => {
    expect(formatDiff(patch, false)).toBe(patch);
  });

  it("colours added, removed and hunk lines on a terminal", () => {
    const coloured = formatDiff(patch, true);
    expect(coloured).not.toBe(patch);
    expect(coloured).toContain("\u001b[32m+new\u001b[0m");
    expect(coloured).toContain("\u001b[31m-old\u001b[0m");
    expect(stripVTControlCharacters(coloured)).toBe(patch);
  });
});

describe("readCodeFile", () => {
  const dir = mkdtempSync(join(tmpdir(), "cortex-code-file-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function failure(path: string, max = 1_000): Promise<Error> {
    return readCodeFile(path, max).then(
      () => {
        throw new Error("expected a failure");
      },
      (e: Error) => e,
    );
  }

  it("reads UTF-8 text as is (BOM included)", async () => {
    writeFileSync(join(dir, "bom.py"), "\uFEFFx = 1\n");
    expect(await readCodeFile(join(dir, "bom.py"), 1_000)).toBe("\uFEFFx = 1\n");
  });

  it("refuses missing, directory, binary and oversized files with INVALID_ARGUMENT", async () => {
    writeFileSync(join(dir, "bin.dat"), Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x00, 0x01]));
    writeFileSync(join(dir, "latin1.txt"), Buffer.from([0x63, 0x61, 0x66, 0xe9]));
    writeFileSync(join(dir, "big.py"), "x".repeat(2_000));
    const cases: [string, RegExp][] = [
      [join(dir, "nope.py"), /file not found/],
      [dir, /not a regular file/],
      [join(dir, "bin.dat"), /binary/],
      [join(dir, "latin1.txt"), /not UTF-8/],
      [join(dir, "big.py"), /2000 bytes, over the limit of 1000/],
    ];
    for (const [path, message] of cases) {
      const err = await failure(path);
      expect(isCortexError(err, "INVALID_ARGUMENT"), String(err)).toBe(true);
      expect(err.message).toMatch(message);
    }
  });

  it("guesses the language from the extension", () => {
    expect(languageOf("a/b.py")).toBe("python");
    expect(languageOf("x.TS")).toBe("typescript");
    expect(languageOf("Makefile")).toBeUndefined();
  });
});
