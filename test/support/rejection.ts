import { expect } from "vitest";
import { CortexError } from "../../src/core/errors.js";

/** The CortexError a promise rejects with (the test fails if it resolves or throws something else). */
export async function rejection(p: Promise<unknown>): Promise<CortexError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(CortexError);
  return err as CortexError;
}
