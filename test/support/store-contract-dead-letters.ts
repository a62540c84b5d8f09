/**
 * Contract for dead letters (issue 14): kept newest first, paged by cursor, filtered by tenant,
 * capped (the factories set deadLetterMax to DEAD_LETTER_TEST_MAX), deleted by id.
 */
import { describe, expect, it } from "vitest";
import { type DeadLetter, newDeadLetterId } from "../../src/core/dead-letter.js";
import { ErrorCode, isCortexError } from "../../src/core/errors.js";
import type { JobStore } from "../../src/store/job-store.js";

/** What the contract's factories pass as deadLetterMax. */
export const DEAD_LETTER_TEST_MAX = 5;

export function letter(atMs: number, extra: Partial<DeadLetter> = {}): DeadLetter {
  return {
    id: newDeadLetterId(atMs),
    kind: "submit_rejected",
    code: "INVALID_ARGUMENT",
    field: "job_id",
    reason: "job_id: must not be empty",
    hint: "Set a job id.",
    subject: "sys.job.submit",
    at_ms: atMs,
    job_id: "",
    topic: "job.echo",
    trace_id: "t",
    sender_id: "s",
    tenant: "",
    packet_bytes: 3,
    packet_b64: "AAAA",
    ...extra,
  };
}

export function describeDeadLetters(h: { store(): JobStore }): void {
  describe("dead letters", () => {
    it("keeps a letter as written, and deletes it by id", async () => {
      const l = letter(Date.now(), { tenant: "acme" });
      await h.store().putDeadLetter(l);
      expect(await h.store().getDeadLetter(l.id)).toEqual(l);
      expect(await h.store().deleteDeadLetter(l.id)).toBe(true);
      expect(await h.store().getDeadLetter(l.id)).toBeUndefined();
      expect(await h.store().deleteDeadLetter(l.id)).toBe(false);
    });

    it("lists newest first, a page at a time", async () => {
      const t = Date.now();
      const ls = [0, 1, 2, 3].map((i) => letter(t + i));
      for (const l of ls) await h.store().putDeadLetter(l);
      const first = await h.store().listDeadLetters({ limit: 3 });
      expect(first.letters.map((l) => l.id)).toEqual([ls[3], ls[2], ls[1]].map((l) => l?.id));
      expect(first.nextCursor).toBeDefined();
      const second = await h.store().listDeadLetters({ limit: 3, cursor: first.nextCursor ?? "" });
      expect(second.letters.map((l) => l.id)).toEqual([ls[0]?.id]);
      expect(second.nextCursor).toBeUndefined();
    });

    it("filters by tenant", async () => {
      const t = Date.now();
      await h.store().putDeadLetter(letter(t, { tenant: "a" }));
      const b = letter(t + 1, { tenant: "b" });
      await h.store().putDeadLetter(b);
      await h.store().putDeadLetter(letter(t + 2));
      const page = await h.store().listDeadLetters({ tenant: "b" });
      expect(page.letters.map((l) => l.id)).toEqual([b.id]);
      expect((await h.store().listDeadLetters({})).letters).toHaveLength(3);
    });

    it("keeps only the newest deadLetterMax", async () => {
      const t = Date.now();
      const ls = Array.from({ length: DEAD_LETTER_TEST_MAX + 2 }, (_, i) => letter(t + i));
      for (const l of ls) await h.store().putDeadLetter(l);
      const page = await h.store().listDeadLetters({ limit: 100 });
      expect(page.letters.map((l) => l.id)).toEqual(
        ls
          .slice(2)
          .reverse()
          .map((l) => l.id),
      );
      expect(await h.store().getDeadLetter(ls[0]?.id ?? "")).toBeUndefined();
    });

    it("refuses a cursor that is not one with INVALID_ARGUMENT", async () => {
      const err = await h
        .store()
        .listDeadLetters({ cursor: "(x" })
        .catch((e: unknown) => e);
      expect(isCortexError(err, ErrorCode.InvalidArgument)).toBe(true);
    });
  });
}
