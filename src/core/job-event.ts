/**
 * The one job event schema: what the store keeps in a job's history, what goes over
 * `sys.job.event` and what watchers stream. The type is inferred from the schema, so the
 * two cannot drift apart. Pure.
 */
import { z } from "zod";

/** Unknown keys are dropped: newer publishers may add fields this build does not stream. */
export const jobEventSchema = z.object({
  /** Global, increasing sequence number (0 for progress, which is not stored). */
  seq: z.number().int().nonnegative().default(0),
  /** Unix ms. */
  at: z.number(),
  kind: z.string().min(1),
  jobId: z.string().min(1),
  traceId: z.string().optional(),
  topic: z.string().optional(),
  from: z.string().optional(),
  to: z.string().optional(),
  workerId: z.string().optional(),
  /** Why the job moved (deny reason, failure, timeout). */
  reason: z.string().optional(),
  tenant: z.string().optional(),
  attempt: z.number().int().optional(),
  /** Progress text (LLM tokens, step updates); progress events are streamed, not stored. */
  text: z.string().optional(),
  /**
   * The result document's JSON on a terminal event as published on the bus (small results
   * only), so a gateway answering SubmitAndWatch need not read res:<id>. Never stored.
   */
  resultJson: z.string().optional(),
});

export type JobEventRecord = z.infer<typeof jobEventSchema>;

/** On the wire `at` may be missing (older publishers): it defaults to the time of receipt. */
const wireEventSchema = jobEventSchema.extend({ at: z.number().optional() });

export interface EventPayload {
  events: JobEventRecord[];
  /** Entries dropped as malformed. */
  rejected: number;
  /** The publishing feed, when the payload names it (its own process got the events directly). */
  origin?: string;
}

/**
 * Parses a `sys.job.event` payload: one event, an array of them, or `{origin, events}` (one
 * bus message carries the events of a step, or of many jobs in one tick). The subject is open
 * to anyone on the bus, so entries without the fields watchers filter on are dropped.
 * `skipOrigin`: a payload of that feed is not parsed at all.
 */
export function parseEventPayload(text: string, now: number, skipOrigin?: string): EventPayload {
  // A feed's own payloads start with its origin: its process already has the events.
  if (skipOrigin !== undefined && text.startsWith(`{"origin":"${skipOrigin}"`)) {
    return { events: [], rejected: 0, origin: skipOrigin };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { events: [], rejected: 1 };
  }
  let origin: string | undefined;
  if (isBatch(value)) {
    origin = typeof value.origin === "string" ? value.origin : undefined;
    value = value.events;
  }
  const items = Array.isArray(value) ? value : [value];
  const events: JobEventRecord[] = [];
  let rejected = 0;
  for (const item of items) {
    const parsed = wireEventSchema.safeParse(item);
    if (parsed.success) events.push({ ...parsed.data, at: parsed.data.at ?? now });
    else rejected++;
  }
  return origin === undefined ? { events, rejected } : { events, rejected, origin };
}

function isBatch(value: unknown): value is { origin?: unknown; events: unknown } {
  return typeof value === "object" && value !== null && !Array.isArray(value) && "events" in value;
}
