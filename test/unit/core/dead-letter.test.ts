import { describe, expect, it } from "vitest";
import {
  checkDeadLetterQuery,
  DEAD_LETTER_DEFAULT_LIMIT,
  DEAD_LETTER_MAX_LIMIT,
  isDeadLetterId,
  newDeadLetterId,
  parseDeadLetter,
} from "../../../src/core/dead-letter.js";
import { ErrorCode, isCortexError } from "../../../src/core/errors.js";

describe("dead-letter ids", () => {
  it("sort by time as text, and are recognised", () => {
    const ids = [1, 2_000, 1_700_000_000_000, 4_000_000_000_000].map((t) => newDeadLetterId(t));
    expect([...ids].sort()).toEqual(ids);
    for (const id of ids) expect(isDeadLetterId(id)).toBe(true);
    for (const bad of ["", "dl-", "(dl-000000001-00000000", "dl-000000001-0000000g", "x".repeat(30)])
      expect(isDeadLetterId(bad)).toBe(false);
  });
});

describe("checkDeadLetterQuery", () => {
  it("bounds the page size and refuses a cursor that is not an id", () => {
    expect(checkDeadLetterQuery({}).limit).toBe(DEAD_LETTER_DEFAULT_LIMIT);
    expect(checkDeadLetterQuery({ limit: -3 }).limit).toBe(DEAD_LETTER_DEFAULT_LIMIT);
    expect(checkDeadLetterQuery({ limit: 10_000 }).limit).toBe(DEAD_LETTER_MAX_LIMIT);
    expect(checkDeadLetterQuery({ cursor: "" }).cursor).toBeUndefined();
    let err: unknown;
    try {
      checkDeadLetterQuery({ cursor: "+" });
    } catch (e) {
      err = e;
    }
    expect(isCortexError(err, ErrorCode.InvalidArgument)).toBe(true);
  });
});

describe("parseDeadLetter", () => {
  it("skips bodies that are not letters", () => {
    expect(parseDeadLetter("{")).toBeUndefined();
    expect(parseDeadLetter("null")).toBeUndefined();
    expect(parseDeadLetter('{"id":1}')).toBeUndefined();
    expect(parseDeadLetter('{"id":"dl-x","at_ms":1}')).toMatchObject({ id: "dl-x" });
  });
});
