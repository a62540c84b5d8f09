/**
 * The bus: NATS core pub/sub for heartbeats, events, progress and cancels; JetStream
 * work queues for submit, dispatch and results. Adapters encode and decode BusPackets;
 * callers only ever see decoded packets.
 */
import type { BusPacket } from "../gen/cortex/v1/bus.js";

/** The subset of a pino logger the bus adapters use. */
export interface BusLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export type BusState = "connecting" | "connected" | "reconnecting" | "disconnected" | "closed";

export interface BusStatus {
  state: BusState;
  url: string;
  /** Messages that could not be decoded as BusPackets, by subject. */
  decodeErrors: number;
  lastError?: string;
}

export interface Subscription {
  unsubscribe(): Promise<void>;
}

export type PacketHandler = (packet: BusPacket, subject: string) => void | Promise<void>;

export interface SubscribeOptions {
  /** Queue group: each message goes to one member of the group. */
  queue?: string;
}

/** A message taken from a JetStream work queue. Exactly one of ack/nak/term settles it. */
export interface WorkMessage {
  packet: BusPacket;
  subject: string;
  /** 1 on first delivery, 2 on the first redelivery, ... */
  deliveryCount: number;
  ack(): Promise<void>;
  /** Ask for redelivery, after `delayMs` when given. */
  nak(delayMs?: number): void;
  /** Reset the ack-wait timer: the job is still being worked on. */
  working(): void;
  /** Never redeliver. */
  term(): void;
}

export interface WorkQueueOptions {
  /** JetStream stream name (one of Streams). */
  stream: string;
  /** Durable consumer name; created or updated idempotently. */
  consumer: string;
  /** One subject per consumer (nats-server 2.9). */
  filterSubject: string;
  /** Redeliver when not acked within this time. */
  ackWaitMs: number;
  /** Deliveries before the message is dropped (retries + 1); -1 = unlimited. */
  maxDeliver: number;
  /** At most this many un-settled messages handed to the handler at once. */
  maxInFlight: number;
}

export type WorkHandler = (msg: WorkMessage) => Promise<void>;

export interface WorkConsumer {
  /** Stop taking new messages; resolves when handlers in flight have returned. */
  stop(): Promise<void>;
  /** Handlers currently running. */
  inFlight(): number;
}

export interface DurablePublishOptions {
  /** JetStream de-duplication id (e.g. `${jobId}:${attempt}`). */
  msgId?: string;
}

export interface Bus {
  /**
   * How long a durable publish may take, at most, before it settles (stored or failed): its
   * connection wait plus its ack wait. Undefined when it settles at once (in process).
   */
  readonly publishSettleMs?: number;
  /** Create or update the streams the design needs. Idempotent. */
  provision(): Promise<void>;
  /** Fire-and-forget core publish (heartbeats, events, progress, cancels). */
  publish(subject: string, packet: BusPacket): Promise<void>;
  /** Persisted publish to a JetStream stream; resolves once the server stored it. */
  publishDurable(subject: string, packet: BusPacket, opts?: DurablePublishOptions): Promise<void>;
  subscribe(subject: string, handler: PacketHandler, opts?: SubscribeOptions): Promise<Subscription>;
  /** Pull from a JetStream work queue with at most maxInFlight messages in flight. */
  consume(opts: WorkQueueOptions, handler: WorkHandler): Promise<WorkConsumer>;
  /** Raw core publish/subscribe for JSON side channels (events stream to the TUI). */
  publishRaw(subject: string, data: Uint8Array): Promise<void>;
  subscribeRaw(subject: string, handler: (data: Uint8Array, subject: string) => void): Promise<Subscription>;
  status(): BusStatus;
  onStatus(listener: (status: BusStatus) => void): () => void;
  /** Throws a BUS_UNAVAILABLE CortexError when the server does not answer. */
  ping(timeoutMs?: number): Promise<void>;
  /** Drain subscriptions and close. */
  close(): Promise<void>;
}
