import { describe, expect, it } from "vitest";
import { matchesShortId, parseShortId, shortId } from "../../../src/cli/job-text.js";

const WF = "1b8a35ad-0c63-4e93-9f00-5d2c1b8a35ad";

describe("short job ids", () => {
  it("shows 8 characters of a plain id, and the distinguishing tail of a workflow child", () => {
    expect(shortId(WF)).toBe("1b8a35ad");
    expect(shortId(`${WF}-s-patch-1`)).toBe("1b8a35ad…-s-patch-1");
    expect(shortId(`${WF}-s-patch-2`)).not.toBe(shortId(`${WF}-s-patch-1`));
    expect(shortId("abc")).toBe("abc");
    expect(shortId("short-s-x-1")).toBe("short-s-");
  });

  it("accepts every short form it shows back as a pattern its id matches", () => {
    for (const id of [WF, `${WF}-s-patch-1`, `${WF}-s-review-12`, "abc"]) {
      expect(matchesShortId(id, parseShortId(shortId(id)))).toBe(true);
    }
    expect(matchesShortId(`${WF}-s-patch-1`, parseShortId("1b8a35ad…-s-patch-2"))).toBe(false);
    expect(matchesShortId(WF, parseShortId("1b8a35ad…-s-patch-1"))).toBe(false);
  });

  it("reads `...` as the ellipsis, and an id without one as a plain prefix", () => {
    expect(parseShortId("1b8a...-s-patch-1")).toEqual({ prefix: "1b8a", suffix: "-s-patch-1" });
    expect(parseShortId("1b8a…-s-x-1")).toEqual({ prefix: "1b8a", suffix: "-s-x-1" });
    expect(parseShortId("1b8a35")).toEqual({ prefix: "1b8a35", suffix: "" });
    expect(parseShortId("1b8a35ad/s-patch-1")).toEqual({ prefix: "1b8a35ad", suffix: "-s-patch-1" });
  });
});
