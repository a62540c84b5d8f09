import { describe, expect, it } from "vitest";
import { isValidSubjectPattern, matchesSubject } from "../../../src/core/topic-match.js";

describe("matchesSubject", () => {
  it.each([
    ["job.echo", "job.echo"],
    ["job.*", "job.echo"],
    ["*.echo", "job.echo"],
    ["job.*.simple", "job.chat.simple"],
    ["job.>", "job.echo"],
    ["job.>", "job.chat.simple"],
    [">", "sys"],
    [">", "sys.destroy.now"],
    ["*", "sys"],
    ["job.*.>", "job.chat.simple.extra"],
  ])("%s matches %s", (pattern, subject) => {
    expect(matchesSubject(pattern, subject)).toBe(true);
  });

  it.each([
    ["job.echo", "job.echo2"],
    ["job.echo", "job"],
    ["job.echo", "job.echo.x"],
    ["job.*", "job"],
    ["job.*", "job.chat.simple"], // * is exactly one token
    ["job.>", "job"], // > needs at least one token
    ["*", "job.echo"],
    ["job.*.>", "job.chat"],
    ["sys.destroy", "sys.destroyer"],
    ["Job.echo", "job.echo"], // case-sensitive, like NATS
  ])("%s does not match %s", (pattern, subject) => {
    expect(matchesSubject(pattern, subject)).toBe(false);
  });

  it("takes wildcards in the subject literally", () => {
    expect(matchesSubject("job.echo", "job.*")).toBe(false);
    expect(matchesSubject("job.*", "job.*")).toBe(true);
  });

  it.each([
    ["", "job"],
    ["job..echo", "job..echo"],
    [".job", ".job"],
    ["job.", "job."],
    ["job.>.x", "job.a.x"],
    ["job.echo", ""],
  ])("malformed pattern or subject (%j, %j) matches nothing", (pattern, subject) => {
    expect(matchesSubject(pattern, subject)).toBe(false);
  });
});

describe("isValidSubjectPattern", () => {
  it.each(["job.echo", "job.*", "job.>", ">", "*", "*.*.>"])("accepts %s", (p) => {
    expect(isValidSubjectPattern(p)).toBe(true);
  });
  it.each(["", "job..x", ".job", "job.", ">.job", "job.>.x"])("rejects %j", (p) => {
    expect(isValidSubjectPattern(p)).toBe(false);
  });
});
