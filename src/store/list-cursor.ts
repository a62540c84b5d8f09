/** The opaque cursor of listJobs pages: the last (score, member) a page examined. */
import { CortexError, ErrorCode } from "../core/errors.js";

export function encodeCursor(score: string, member: string): string {
  return Buffer.from(JSON.stringify([score, member])).toString("base64url");
}

export function decodeCursor(cursor: string): [string, string] {
  try {
    const v: unknown = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
    if (
      Array.isArray(v) &&
      v.length === 2 &&
      typeof v[0] === "string" &&
      Number.isFinite(Number(v[0])) &&
      v[0] !== "" &&
      typeof v[1] === "string"
    ) {
      return [v[0], v[1]];
    }
  } catch {
    // reported below
  }
  throw new CortexError(ErrorCode.InvalidArgument, "invalid list cursor", {
    hint: "Pass the nextCursor of a previous page unchanged, or omit it to start from the newest job.",
  });
}
