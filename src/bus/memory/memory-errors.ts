/** Typed errors of the in-process bus, worded like NatsBus's so callers and users see one story. */
import { CortexError, ErrorCode } from "../../core/errors.js";

export const busClosed = (what: string): CortexError =>
  new CortexError(ErrorCode.BusUnavailable, `bus unavailable: ${what} after the in-process bus was closed`, {
    hint: "The embedded bus closes with the daemon; start it again (cortex up) or open a new bus instead of reusing this one.",
  });

export const noStream = (subject: string): CortexError =>
  new CortexError(
    ErrorCode.BusUnavailable,
    `bus unavailable: no stream stores durable publish to ${subject}`,
    {
      hint: "Durable publishes go to sys.job.submit, sys.job.result or job.<topic>; use publish() for other subjects.",
    },
  );

export const badSubject = (what: string, subject: string): CortexError =>
  new CortexError(ErrorCode.InvalidArgument, `${what} rejected: bad subject ${JSON.stringify(subject)}`, {
    hint: "Subjects are dot-separated tokens without spaces; only subscriptions may use * and >.",
  });

export const payloadTooLarge = (what: string, bytes: number, max: number): CortexError =>
  new CortexError(
    ErrorCode.InvalidArgument,
    `${what} rejected: ${bytes} bytes exceed the ${max} byte limit`,
    {
      hint: "Keep bus payloads under the limit (1 MB by default, as NATS max_payload); store large data and send a pointer.",
    },
  );

export const unknownStream = (name: string, known: readonly string[]): CortexError =>
  new CortexError(ErrorCode.InvalidArgument, `unknown stream ${name}`, {
    hint: `Use one of ${known.join(", ")}.`,
  });
