import { describe, expect, it } from "vitest";
import { singleDashHint } from "../../../src/cli/single-dash-hint.js";

const FLAGS = ["file", "instruction", "language", "out", "wait", "timeout", "json"];

describe("singleDashHint", () => {
  it("names the long flag a mistyped single-dash word resembles", () => {
    expect(singleDashHint(["-instrucion", "x"], FLAGS)).toEqual({
      typed: "-instrucion",
      flag: "instruction",
    });
    expect(singleDashHint(["--file", "a.py", "-timeot=5"], FLAGS)).toEqual({
      typed: "-timeot",
      flag: "timeout",
    });
  });

  it("ignores words far from every flag, short flags, and anything after --", () => {
    expect(singleDashHint(["-zzzzqqq"], FLAGS)).toBeUndefined();
    expect(singleDashHint(["-w", "-f", "x"], FLAGS)).toBeUndefined();
    expect(singleDashHint(["--", "-instrucion"], FLAGS)).toBeUndefined();
  });
});
