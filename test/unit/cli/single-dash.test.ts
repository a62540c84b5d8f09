import { describe, expect, it } from "vitest";
import { CODE_REVIEW_LONG_FLAGS } from "../../../src/cli/code-review.js";
import { rewriteSingleDashFlags, SINGLE_DASH_LONG_FLAGS } from "../../../src/cli/single-dash.js";
import SubmitCode from "../../../src/commands/submit/code.js";

describe("rewriteSingleDashFlags", () => {
  it("turns the scripts' one-dash long flags of code-review into --flags", () => {
    expect(
      rewriteSingleDashFlags([
        "submit",
        "code-review",
        "-file",
        "x.py",
        "-instruction",
        "add types",
        "-json",
      ]),
    ).toEqual(["submit", "code-review", "--file", "x.py", "--instruction", "add types", "--json"]);
    expect(rewriteSingleDashFlags(["submit:workflow", "-file=x.py", "-out", "p.patch"])).toEqual([
      "submit:workflow",
      "--file=x.py",
      "--out",
      "p.patch",
    ]);
  });

  it("leaves short flags, double-dash flags, unknown names and values alone", () => {
    const argv = ["submit", "code-review", "-f", "x", "--instruction", "-x", "-w", "-verbose", "-i", "y"];
    expect(rewriteSingleDashFlags(argv)).toEqual(argv);
  });

  it("stops at --", () => {
    expect(rewriteSingleDashFlags(["submit", "code-review", "--", "-file"])).toEqual([
      "submit",
      "code-review",
      "--",
      "-file",
    ]);
  });

  it("leaves other commands alone", () => {
    for (const argv of [["submit", "echo", "-wait"], ["job", "-json"], [], ["submit"], ["logs", "-f"]]) {
      expect(rewriteSingleDashFlags(argv)).toEqual(argv);
    }
  });

  it("knows exactly the long flags the commands have", () => {
    expect([...(SINGLE_DASH_LONG_FLAGS["submit code-review"] ?? [])].sort()).toEqual(
      [...CODE_REVIEW_LONG_FLAGS].sort(),
    );
    expect([...(SINGLE_DASH_LONG_FLAGS["submit workflow"] ?? [])].sort()).toEqual(
      [...CODE_REVIEW_LONG_FLAGS].sort(),
    );
    expect([...(SINGLE_DASH_LONG_FLAGS["submit code"] ?? [])].sort()).toEqual(
      [...Object.keys(SubmitCode.flags), "json"].sort(),
    );
  });
});
