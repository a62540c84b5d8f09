/**
 * A handler failure whose result document says more than `error`: code-llm's failed
 * attempts still carry `file_path`, `instruction` and `patch: {type: "error", …}` so a
 * caller reading res:<id> sees what was asked and why no patch came back.
 */
import { CortexError, type CortexErrorOptions, type ErrorCode } from "../core/errors.js";

export class JobFailure extends CortexError {
  constructor(
    code: ErrorCode,
    message: string,
    /** Merged into the error result document next to job_id, processed_by and error. */
    readonly resultFields: Record<string, unknown>,
    options: CortexErrorOptions = {},
  ) {
    super(code, message, options);
  }
}
