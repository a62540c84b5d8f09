/**
 * The Bus on NATS: core pub/sub for fire-and-forget traffic, JetStream work queues for
 * jobs. The connection reconnects forever; status() tells callers where it stands, and
 * operations that need the server fail with typed BUS_UNAVAILABLE / BUS_TIMEOUT errors.
 */
import {
  type Consumer,
  connect,
  type JetStreamClient,
  type JetStreamManager,
  type NatsConnection,
  type Subscription as NatsSubscription,
} from "nats";
import { busAuthFailed, busUnavailable, CortexError } from "../core/errors.js";
import { redactUrl } from "../core/redact-url.js";
import type { BusPacket } from "../gen/cortex/v1/bus.js";
import type {
  Bus,
  BusStatus,
  DurablePublishOptions,
  PacketHandler,
  SubscribeOptions,
  Subscription,
  WorkConsumer,
  WorkHandler,
  WorkQueueOptions,
} from "./bus.js";
import { decodePacket, encodePacket } from "./codec.js";
import { type NatsSecurityOptions, natsConnectOptions } from "./nats-auth.js";
import { isNatsAuthError, JsErrCode, jsErrCode, toBusError } from "./nats-errors.js";
import { ensureConsumer, ensureStream, ensureStreams, streamSubjects } from "./nats-provision.js";
import { type BusLogger, NatsStatusTracker } from "./nats-status.js";
import { NatsWorkConsumer, type WorkConsumerHost } from "./nats-work-consumer.js";
import { PubAckInbox } from "./pub-ack-inbox.js";
import { validateWorkQueueOptions } from "./work-queue-options.js";

export type { BusLogger } from "./nats-status.js";

export interface NatsBusOptions extends NatsSecurityOptions {
  /** One server or a comma list; credentials in it (user:pass@, token@) are used, never shown. */
  url: string;
  /** Connection name shown by the server (`nats server report connections`). */
  name?: string;
  logger?: BusLogger;
  /** Timeout for JetStream requests (durable publish, ack, provisioning). Default 5000. */
  requestTimeoutMs?: number;
  /** Pause between reconnect attempts. Default 1000. */
  reconnectWaitMs?: number;
  /** num_replicas of the streams provision() creates (1..5). Default 1. */
  streamReplicas?: number;
  /** How long one pull request waits on the server for a message (>= 1000). Default 10000. */
  pullExpiresMs?: number;
}

const silentLogger: BusLogger = { info() {}, warn() {}, error() {} };

export async function connectNatsBus(opts: NatsBusOptions): Promise<NatsBus> {
  const requestTimeoutMs = opts.requestTimeoutMs ?? 5_000;
  let nc: NatsConnection;
  try {
    nc = await connect({
      ...natsConnectOptions(opts.url, opts),
      name: opts.name ?? "cortex",
      maxReconnectAttempts: -1,
      waitOnFirstConnect: false,
      reconnectTimeWait: opts.reconnectWaitMs ?? 1_000,
      timeout: requestTimeoutMs,
      // Async traces capture a stack (new Error) per request: a durable publish per job
      // step pays for it on the hot path, and our errors already say which call failed.
      noAsyncTraces: true,
    });
  } catch (err) {
    if (err instanceof CortexError) throw err;
    throw isNatsAuthError(err) ? busAuthFailed(opts.url, err) : busUnavailable(opts.url, err);
  }
  return new NatsBus(nc, opts);
}

export class NatsBus implements Bus {
  private readonly tracker: NatsStatusTracker;
  private readonly consumers = new Set<NatsWorkConsumer>();
  private readonly js: JetStreamClient;
  private jsm: Promise<JetStreamManager> | undefined;
  private closing: Promise<void> | undefined;
  private readonly url: string;
  private readonly logger: BusLogger;
  private readonly requestTimeoutMs: number;
  readonly publishSettleMs: number;
  private readonly host: WorkConsumerHost;
  private readonly acks: PubAckInbox;
  private readonly streamReplicas: number | undefined;

  constructor(
    private readonly nc: NatsConnection,
    opts: NatsBusOptions,
  ) {
    // Shown in status(), logs and errors: never with its credentials.
    this.url = redactUrl(opts.url);
    this.logger = opts.logger ?? silentLogger;
    this.requestTimeoutMs = opts.requestTimeoutMs ?? 5_000;
    this.publishSettleMs = 2 * this.requestTimeoutMs;
    this.streamReplicas = opts.streamReplicas;
    this.js = nc.jetstream({ timeout: this.requestTimeoutMs });
    this.acks = new PubAckInbox(nc, this.url, this.requestTimeoutMs);
    this.tracker = new NatsStatusTracker(this.url, this.logger);
    const tracker = this.tracker;
    this.host = {
      url: this.url,
      pullExpiresMs: Math.max(1_000, opts.pullExpiresMs ?? 10_000),
      logger: this.logger,
      whenConnected: (signal) => tracker.whenConnected(signal),
      ensureConsumer: (o) => this.consumerHandle(o),
      decodeFailed: (subject, err) => tracker.decodeFailed(subject, err),
    };
    this.tracker.watch(nc, () => {
      // Nothing can be pulled any more: release the slots instead of letting them retry.
      for (const c of this.consumers) void c.stop();
    });
  }

  status(): BusStatus {
    return this.tracker.status();
  }

  onStatus(listener: (status: BusStatus) => void): () => void {
    return this.tracker.onStatus(listener);
  }

  async ping(timeoutMs = 2_000): Promise<void> {
    try {
      await withTimeout(this.nc.rtt(), timeoutMs);
    } catch (err) {
      throw busUnavailable(this.url, err);
    }
  }

  async provision(): Promise<void> {
    try {
      await ensureStreams(await this.manager(), this.streamReplicas);
    } catch (err) {
      throw toBusError(this.url, "stream provisioning", err);
    }
  }

  async publish(subject: string, packet: BusPacket): Promise<void> {
    await this.publishRaw(subject, encodePacket(packet));
  }

  async publishRaw(subject: string, data: Uint8Array): Promise<void> {
    try {
      // While reconnecting nats.js buffers the message and sends it once back.
      this.nc.publish(subject, data);
    } catch (err) {
      throw toBusError(this.url, `publish to ${subject}`, err);
    }
  }

  async publishDurable(subject: string, packet: BusPacket, opts: DurablePublishOptions = {}): Promise<void> {
    const data = encodePacket(packet);
    if (!(await this.tracker.connectedWithin(this.requestTimeoutMs))) {
      const { state } = this.tracker.status();
      throw busUnavailable(this.url, new Error(`connection ${state} for ${this.requestTimeoutMs} ms`));
    }
    await this.acks.publish(subject, data, opts.msgId);
  }

  async subscribe(
    subject: string,
    handler: PacketHandler,
    opts: SubscribeOptions = {},
  ): Promise<Subscription> {
    return this.subscribeLoop(subject, opts.queue, async (data, subj) => {
      let packet: BusPacket;
      try {
        packet = decodePacket(data);
      } catch (err) {
        this.tracker.decodeFailed(subj, err);
        return;
      }
      await handler(packet, subj);
    });
  }

  async subscribeRaw(
    subject: string,
    handler: (data: Uint8Array, subject: string) => void,
  ): Promise<Subscription> {
    return this.subscribeLoop(subject, undefined, async (data, subj) => handler(data, subj));
  }

  async consume(opts: WorkQueueOptions, handler: WorkHandler): Promise<WorkConsumer> {
    validateWorkQueueOptions(opts);
    let consumer: Consumer;
    try {
      consumer = await this.consumerHandle(opts);
    } catch (err) {
      throw toBusError(this.url, `creating consumer ${opts.consumer} on ${opts.stream}`, err);
    }
    const work = new NatsWorkConsumer(this.host, opts, consumer, handler);
    this.consumers.add(work);
    work.start();
    return {
      inFlight: () => work.inFlight(),
      stop: async () => {
        await work.stop();
        this.consumers.delete(work);
      },
    };
  }

  async close(): Promise<void> {
    this.closing ??= (async () => {
      await Promise.all([...this.consumers].map((c) => c.stop()));
      this.consumers.clear();
      if (this.nc.isClosed()) return;
      try {
        await withTimeout(this.nc.drain(), this.requestTimeoutMs);
      } catch {
        // Draining needs the server; when it is gone, just close.
        await this.nc.close();
      }
      // drain() can resolve without closing while the connection is reconnecting.
      if (!this.nc.isClosed()) await this.nc.close();
      await withTimeout(this.nc.closed(), this.requestTimeoutMs).catch(() => undefined);
      this.acks.close();
    })();
    await this.closing;
  }

  // ---- internals ----

  private subscribeLoop(
    subject: string,
    queue: string | undefined,
    onMessage: (data: Uint8Array, subject: string) => Promise<void>,
  ): Promise<Subscription> {
    let sub: NatsSubscription;
    try {
      sub = this.nc.subscribe(subject, queue === undefined ? {} : { queue });
    } catch (err) {
      return Promise.reject(toBusError(this.url, `subscribe to ${subject}`, err));
    }
    void (async () => {
      // Sequential per subscription: packets reach the handler in publish order.
      for await (const m of sub) {
        try {
          await onMessage(m.data, m.subject);
        } catch (err) {
          this.logger.error({ err, subject: m.subject }, "bus subscription handler failed");
        }
      }
    })().catch((err: unknown) => this.logger.error({ err, subject }, "bus subscription ended with an error"));
    const handle: Subscription = {
      unsubscribe: async () => {
        sub.unsubscribe();
      },
    };
    // Resolve once the server knows the interest, so a publish right after is not missed.
    return this.tracker.status().state === "connected"
      ? withTimeout(this.nc.flush(), this.requestTimeoutMs).then(
          () => handle,
          () => handle,
        )
      : Promise.resolve(handle);
  }

  private manager(): Promise<JetStreamManager> {
    if (!this.jsm) {
      this.jsm = this.nc.jetstreamManager({ timeout: this.requestTimeoutMs });
      this.jsm.catch(() => {
        this.jsm = undefined;
      });
    }
    return this.jsm;
  }

  /** Ensures the durable consumer (and our stream, if the server lost it) and returns a pull handle. */
  private async consumerHandle(opts: WorkQueueOptions): Promise<Consumer> {
    const jsm = await this.manager();
    try {
      await ensureConsumer(jsm, opts);
    } catch (err) {
      if (jsErrCode(err) !== JsErrCode.StreamNotFound || !(opts.stream in streamSubjects)) throw err;
      await ensureStream(jsm, opts.stream, this.streamReplicas);
      await ensureConsumer(jsm, opts);
    }
    return this.js.consumers.get(opts.stream, opts.consumer);
  }
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
    p.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}
