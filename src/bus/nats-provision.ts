/**
 * Idempotent create-or-update of the JetStream streams and durable pull consumers.
 * Safe when several processes provision at once: "already exists" races count as success
 * and are resolved by comparing and updating, never by reading error text.
 */
import {
  AckPolicy,
  type ConsumerConfig,
  type ConsumerInfo,
  DeliverPolicy,
  type JetStreamManager,
  nanos,
  RetentionPolicy,
  StorageType,
  type StreamConfig,
} from "nats";
import { CortexError, ErrorCode } from "../core/errors.js";
import { Streams, Subjects } from "../core/subjects.js";
import type { WorkQueueOptions } from "./bus.js";
import { JsErrCode, jsErrCode } from "./nats-errors.js";

const DUPLICATE_WINDOW_MS = 2 * 60_000;

/** The streams the design needs, by name. */
export const streamSubjects: Readonly<Record<string, readonly string[]>> = {
  [Streams.submit]: [Subjects.jobSubmit],
  [Streams.result]: [Subjects.jobResult],
  [Streams.jobs]: [Subjects.jobTopicsAll],
};

/** 1 on one server; 3 (or 5) on a cluster so a stream outlives the loss of a node. */
export const DEFAULT_STREAM_REPLICAS = 1;

function streamConfig(
  name: string,
  subjects: readonly string[],
  replicas: number,
): Partial<StreamConfig> & { name: string } {
  return {
    name,
    subjects: [...subjects],
    retention: RetentionPolicy.Workqueue,
    storage: StorageType.File,
    duplicate_window: nanos(DUPLICATE_WINDOW_MS),
    num_replicas: replicas,
  };
}

/**
 * Creates the stream or updates it to cortex's config. A changed replica count goes through
 * the update too: a cluster scales an existing stream up or down in place.
 */
export async function ensureStream(
  jsm: JetStreamManager,
  name: string,
  replicas = DEFAULT_STREAM_REPLICAS,
): Promise<void> {
  const subjects = streamSubjects[name];
  if (!subjects) {
    throw new CortexError(ErrorCode.InvalidArgument, `unknown stream ${name}`, {
      hint: `Use one of ${Object.keys(streamSubjects).join(", ")}.`,
    });
  }
  const cfg = streamConfig(name, subjects, replicas);
  try {
    // Adding with an identical config is a no-op on the server, so concurrent adds succeed.
    await jsm.streams.add(cfg);
    return;
  } catch (err) {
    const code = jsErrCode(err);
    // A concurrent provisioner creating the same stream shows up as either code; an overlap
    // with a stream of another name is a real conflict.
    const race =
      code === JsErrCode.StreamNameInUse ||
      (code === JsErrCode.StreamSubjectOverlap && (await streamExists(jsm, name)));
    if (!race) throw streamError(name, err, replicas);
  }
  try {
    await jsm.streams.update(name, cfg);
  } catch (err) {
    throw streamError(name, err, replicas);
  }
}

async function streamExists(jsm: JetStreamManager, name: string): Promise<boolean> {
  try {
    await jsm.streams.info(name);
    return true;
  } catch {
    return false;
  }
}

export async function ensureStreams(
  jsm: JetStreamManager,
  replicas = DEFAULT_STREAM_REPLICAS,
): Promise<void> {
  for (const name of Object.keys(streamSubjects)) await ensureStream(jsm, name, replicas);
}

function streamError(name: string, cause: unknown, replicas: number): unknown {
  const code = jsErrCode(cause);
  // Only API refusals are config conflicts; connection problems are mapped by the caller.
  if (code === undefined || code === JsErrCode.JetStreamNotEnabled) return cause;
  if (code === JsErrCode.ReplicasNotSupported || code === JsErrCode.InsufficientResources) {
    return new CortexError(
      ErrorCode.ConfigInvalid,
      `cannot create JetStream stream ${name} with ${replicas} replicas`,
      {
        hint: `CORTEX_STREAM_REPLICAS=${replicas} needs a JetStream cluster of at least ${replicas} nodes up; use 1 on a single nats-server.`,
        cause,
      },
    );
  }
  return new CortexError(ErrorCode.ConfigInvalid, `cannot create or update JetStream stream ${name}`, {
    hint: `An existing stream conflicts with cortex's (work-queue, file storage). Remove it with \`nats stream rm ${name}\` if it holds nothing you need.`,
    cause,
  });
}

function consumerConfig(opts: WorkQueueOptions): Partial<ConsumerConfig> {
  return {
    durable_name: opts.consumer,
    filter_subject: opts.filterSubject,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    ack_wait: nanos(opts.ackWaitMs),
    max_deliver: opts.maxDeliver,
  };
}

function sameSettings(info: ConsumerInfo, want: Partial<ConsumerConfig>): boolean {
  const have = info.config;
  const maxDeliver = (n: number | undefined): number => (n === undefined || n <= 0 ? -1 : n);
  return (
    have.ack_wait === want.ack_wait &&
    maxDeliver(have.max_deliver) === maxDeliver(want.max_deliver) &&
    (have.filter_subject ?? "") === (want.filter_subject ?? "")
  );
}

async function consumerInfo(
  jsm: JetStreamManager,
  stream: string,
  name: string,
): Promise<ConsumerInfo | null> {
  try {
    return await jsm.consumers.info(stream, name);
  } catch (err) {
    if (jsErrCode(err) === JsErrCode.ConsumerNotFound) return null;
    throw err;
  }
}

/** Creates the durable pull consumer, or updates ack wait / max deliver / filter when they differ. */
export async function ensureConsumer(jsm: JetStreamManager, opts: WorkQueueOptions): Promise<void> {
  const want = consumerConfig(opts);
  const info = await consumerInfo(jsm, opts.stream, opts.consumer);
  if (info === null) {
    try {
      await jsm.consumers.add(opts.stream, want);
      return;
    } catch (err) {
      const code = jsErrCode(err);
      if (code !== JsErrCode.ConsumerExists && code !== JsErrCode.ConsumerNameExists) throw err;
      // Another process created it between our info and add: fall through to compare.
    }
  }
  const current = info ?? (await consumerInfo(jsm, opts.stream, opts.consumer));
  if (current !== null && sameSettings(current, want)) return;
  await jsm.consumers.update(opts.stream, opts.consumer, {
    ack_wait: want.ack_wait,
    max_deliver: want.max_deliver,
    filter_subject: want.filter_subject,
  });
}
