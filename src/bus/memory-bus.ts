/**
 * The Bus in process, for the embedded backend: core pub/sub with wildcards and queue
 * groups, and JetStream-like work-queue streams (durable consumers, ack/nak/working/term,
 * ack-wait redelivery, max deliveries, msgId de-duplication) with NatsBus's semantics.
 * Nothing is persisted: after a kill -9 the job layer re-dispatches what the store holds.
 */

import { Streams, Subjects } from "../core/subjects.js";
import { isValidSubjectPattern } from "../core/topic-match.js";
import type { BusPacket } from "../gen/cortex/v1/bus.js";
import type {
  Bus,
  BusLogger,
  BusStatus,
  DurablePublishOptions,
  PacketHandler,
  SubscribeOptions,
  Subscription,
  WorkConsumer,
  WorkHandler,
  WorkQueueOptions,
} from "./bus.js";
import { encodePacket } from "./codec.js";
import { CoreRouter } from "./memory/core-router.js";
import { type BodyDeliver, CoreSubscription } from "./memory/core-subscription.js";
import type { DurableConsumer } from "./memory/durable-consumer.js";
import { badSubject, busClosed, noStream, payloadTooLarge, unknownStream } from "./memory/memory-errors.js";
import { MemoryStatus } from "./memory/memory-status.js";
import { MessageBody } from "./memory/message-body.js";
import { sizeBound } from "./memory/packet-size.js";
import { Pump } from "./memory/pump.js";
import type { StoredMessage, WorkEnv } from "./memory/stored-message.js";
import { TimerWheel } from "./memory/timer-wheel.js";
import { WorkStream } from "./memory/work-stream.js";
import { validateWorkQueueOptions } from "./work-queue-options.js";

export interface MemoryBusOptions {
  logger?: BusLogger;
  /** Shown in status().url. Default "memory://". */
  url?: string;
  /** How long a msgId keeps later publishes with the same id out. Default 2 minutes, as JetStream. */
  duplicateWindowMs?: number;
  /** Largest payload accepted. Default 1 MiB, as NATS max_payload, so what works here works there. */
  maxPayloadBytes?: number;
}

const silentLogger: BusLogger = { info() {}, warn() {}, error() {} };

/** The streams the design provisions, with the subjects each stores. */
const STREAM_SUBJECTS: Readonly<Record<string, readonly string[]>> = {
  [Streams.submit]: [Subjects.jobSubmit],
  [Streams.result]: [Subjects.jobResult],
  [Streams.jobs]: [Subjects.jobTopicsAll],
};

const WHITESPACE = /\s/;
/** Cached subject → stream lookups; bounded for traffic over many subjects. */
const MAX_CACHED_SUBJECTS = 10_000;

export class MemoryBus implements Bus {
  private readonly logger: BusLogger;
  private readonly tracker: MemoryStatus;
  private readonly maxPayloadBytes: number;
  private readonly pump: Pump;
  private readonly timers: TimerWheel<StoredMessage>;
  private readonly router = new CoreRouter();
  private readonly streams: WorkStream[];
  private readonly consumers = new Set<{ consumer: DurableConsumer; stop: () => Promise<void> }>();
  private readonly streamBySubject = new Map<string, WorkStream | null>();
  private closing: Promise<void> | undefined;

  constructor(opts: MemoryBusOptions = {}) {
    this.logger = opts.logger ?? silentLogger;
    this.tracker = new MemoryStatus(opts.url ?? "memory://", this.logger);
    this.maxPayloadBytes = opts.maxPayloadBytes ?? 1024 * 1024;
    this.pump = new Pump((err) => this.logger.error({ err }, "in-process bus delivery failed"));
    const now = () => performance.now();
    this.timers = new TimerWheel<StoredMessage>((msg) => msg.owner?.deadlinePassed(msg), now);
    const env: WorkEnv = {
      now,
      timers: this.timers,
      pump: this.pump,
      logger: this.logger,
      decodeFailed: (subject, err) => this.tracker.decodeFailed(subject, err),
    };
    const window = opts.duplicateWindowMs ?? 120_000;
    this.streams = Object.entries(STREAM_SUBJECTS).map(
      ([name, subjects]) => new WorkStream(name, subjects, window, env),
    );
  }

  status(): BusStatus {
    return this.tracker.status();
  }

  onStatus(listener: (status: BusStatus) => void): () => void {
    return this.tracker.onStatus(listener);
  }

  async ping(_timeoutMs?: number): Promise<void> {
    this.assertOpen("ping");
  }

  /** The streams exist from the start; kept for the interface. */
  async provision(): Promise<void> {
    this.assertOpen("stream provisioning");
  }

  async publish(subject: string, packet: BusPacket): Promise<void> {
    const what = `publish to ${subject}`;
    this.assertPublishable(what, subject);
    this.checkPacketSize(what, packet);
    this.route(subject, MessageBody.ofPacket(packet));
  }

  async publishRaw(subject: string, data: Uint8Array): Promise<void> {
    const what = `publish to ${subject}`;
    this.assertPublishable(what, subject);
    if (data.length > this.maxPayloadBytes) throw payloadTooLarge(what, data.length, this.maxPayloadBytes);
    this.route(subject, MessageBody.ofBytes(data));
  }

  async publishDurable(subject: string, packet: BusPacket, opts: DurablePublishOptions = {}): Promise<void> {
    const what = `durable publish to ${subject}`;
    this.assertPublishable(what, subject);
    if (this.streamFor(subject) === undefined) throw noStream(subject);
    this.checkPacketSize(what, packet);
    this.route(subject, MessageBody.ofPacket(packet), opts.msgId);
  }

  async subscribe(
    subject: string,
    handler: PacketHandler,
    opts: SubscribeOptions = {},
  ): Promise<Subscription> {
    const { tracker } = this;
    return this.addSubscription(subject, opts.queue, (body, subj) => {
      let packet: BusPacket;
      try {
        packet = body.packet();
      } catch (err) {
        tracker.decodeFailed(subj, err);
        return undefined;
      }
      return handler(packet, subj);
    });
  }

  async subscribeRaw(
    subject: string,
    handler: (data: Uint8Array, subject: string) => void,
  ): Promise<Subscription> {
    // Each raw receiver gets bytes of its own, as from a socket.
    return this.addSubscription(subject, undefined, (body, subj) => handler(body.data(), subj));
  }

  async consume(opts: WorkQueueOptions, handler: WorkHandler): Promise<WorkConsumer> {
    // A consumer started while close() stops the others would never be stopped.
    if (this.closing !== undefined) throw busClosed(`creating consumer ${opts.consumer} on ${opts.stream}`);
    validateWorkQueueOptions(opts);
    const stream = this.streams.find((s) => s.name === opts.stream);
    if (stream === undefined) throw unknownStream(opts.stream, Object.keys(STREAM_SUBJECTS));
    const consumer = stream.consumer(opts);
    const puller = consumer.attach(handler, opts.maxInFlight);
    const entry = { consumer, stop: () => consumer.detach(puller) };
    this.consumers.add(entry);
    return {
      inFlight: () => puller.running,
      stop: async () => {
        this.consumers.delete(entry);
        await entry.stop();
      },
    };
  }

  async close(): Promise<void> {
    this.closing ??= (async () => {
      // No new work is taken, but handlers still running may settle their messages.
      const stopping = [...this.consumers].map((c) => c.stop());
      this.consumers.clear();
      this.router.closeAll();
      await Promise.all(stopping);
      this.timers.close();
      this.tracker.markClosed();
    })();
    await this.closing;
  }

  // ---- internals ----

  /** Open until close() has stopped the consumers: their last handlers may still publish. */
  private assertOpen(what: string): void {
    if (this.tracker.closed) throw busClosed(what);
  }

  private assertPublishable(what: string, subject: string): void {
    this.assertOpen(what);
    if (!isPublishSubject(subject)) throw badSubject(what, subject);
  }

  /** Encodes only packets that might not fit, so the common case pays no encode. */
  private checkPacketSize(what: string, packet: BusPacket): void {
    if (sizeBound(packet) <= this.maxPayloadBytes) return;
    const bytes = encodePacket(packet).length;
    if (bytes > this.maxPayloadBytes) throw payloadTooLarge(what, bytes, this.maxPayloadBytes);
  }

  private streamFor(subject: string): WorkStream | undefined {
    let stream = this.streamBySubject.get(subject);
    if (stream === undefined) {
      stream = this.streams.find((s) => s.captures(subject)) ?? null;
      if (this.streamBySubject.size >= MAX_CACHED_SUBJECTS) this.streamBySubject.clear();
      this.streamBySubject.set(subject, stream);
    }
    return stream ?? undefined;
  }

  /** Every publish reaches core subscribers, and a stream too when one captures the subject, as on NATS. */
  private route(subject: string, body: MessageBody, msgId?: string): void {
    this.streamFor(subject)?.store(subject, body, msgId);
    this.router.publish(subject, body);
  }

  private addSubscription(subject: string, queue: string | undefined, deliver: BodyDeliver): Subscription {
    this.assertOpen(`subscribe to ${subject}`);
    if (!isValidSubjectPattern(subject) || WHITESPACE.test(subject)) {
      throw badSubject(`subscribe to ${subject}`, subject);
    }
    const sub = new CoreSubscription(subject, queue, deliver, this.pump, this.logger);
    this.router.add(sub);
    return {
      unsubscribe: async () => {
        sub.close();
        this.router.remove(sub);
      },
    };
  }
}

/** A subject one may publish to: no empty string, whitespace or wildcard token. */
function isPublishSubject(subject: string): boolean {
  if (subject.length === 0 || WHITESPACE.test(subject)) return false;
  return !subject.split(".").some((t) => t === "*" || t === ">");
}
