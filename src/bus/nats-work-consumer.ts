/**
 * Pulls a JetStream work queue with a hard bound on un-settled messages.
 *
 * Each of `maxInFlight` slots loops: fetch ONE message (a pull request of batch 1), run the
 * handler, settle, fetch again. A slot never asks for a message while it holds one, so the
 * server never hands us more than the free slots; nats.js `consume()` refills on receipt
 * instead, which would buffer up to twice the bound. A slot that fails to pull (server
 * restarted, consumer or stream lost) re-ensures the consumer once for all slots and
 * resumes; while the connection is down, slots wait for it instead of queueing pulls.
 */
import type { Consumer, ConsumerMessages, JsMsg } from "nats";
import { CortexError, ErrorCode } from "../core/errors.js";
import type { WorkConsumer, WorkHandler, WorkMessage, WorkQueueOptions } from "./bus.js";
import { decodePacket } from "./codec.js";

export interface WorkConsumerHost {
  url: string;
  /** Resolves once connected (immediately when already), or when `signal` aborts. */
  whenConnected(signal: AbortSignal): Promise<void>;
  /** (Re)creates the stream if needed and the durable consumer; returns a handle to pull from. */
  ensureConsumer(opts: WorkQueueOptions): Promise<Consumer>;
  /** Counts an undecodable message and logs it once per subject. */
  decodeFailed(subject: string, err: unknown): void;
  ackTimeoutMs: number;
  pullExpiresMs: number;
  logger: { warn(obj: object, msg?: string): void; error(obj: object, msg?: string): void };
}

const RETRY_MIN_MS = 100;
const RETRY_MAX_MS = 2_000;

export function validateWorkQueueOptions(opts: WorkQueueOptions): void {
  const bad = (what: string) =>
    new CortexError(ErrorCode.InvalidArgument, `invalid work queue options for ${opts.consumer}: ${what}`, {
      hint: "maxInFlight must be an integer >= 1, ackWaitMs > 0 and maxDeliver -1 or >= 1.",
    });
  if (!Number.isInteger(opts.maxInFlight) || opts.maxInFlight < 1)
    throw bad(`maxInFlight=${opts.maxInFlight}`);
  if (!(opts.ackWaitMs > 0)) throw bad(`ackWaitMs=${opts.ackWaitMs}`);
  if (!Number.isInteger(opts.maxDeliver) || opts.maxDeliver === 0 || opts.maxDeliver < -1) {
    throw bad(`maxDeliver=${opts.maxDeliver}`);
  }
}

export class NatsWorkConsumer implements WorkConsumer {
  private running = 0;
  private readonly abort = new AbortController();
  private readonly pulls = new Set<ConsumerMessages>();
  private slots: Promise<void>[] = [];
  /** One re-ensure shared by all slots that failed together. */
  private recovering: Promise<void> | undefined;
  private failures = 0;

  constructor(
    private readonly host: WorkConsumerHost,
    private readonly opts: WorkQueueOptions,
    private consumer: Consumer,
    private readonly handler: WorkHandler,
  ) {}

  start(): void {
    for (let i = 0; i < this.opts.maxInFlight; i++) this.slots.push(this.slot());
  }

  inFlight(): number {
    return this.running;
  }

  async stop(): Promise<void> {
    if (!this.abort.signal.aborted) {
      this.abort.abort();
      // The server drops a pull request once its inbox has no interest, so nothing is
      // delivered to a closed pull and left waiting for the ack wait.
      for (const pull of this.pulls) closeQuietly(pull);
    }
    await Promise.all(this.slots);
  }

  private get stopped(): boolean {
    return this.abort.signal.aborted;
  }

  private async slot(): Promise<void> {
    while (!this.stopped) {
      await this.host.whenConnected(this.abort.signal);
      if (this.stopped) return;
      let msg: JsMsg | undefined;
      try {
        msg = await this.pullOne();
      } catch (err) {
        await this.recover(err);
        continue;
      }
      this.failures = 0;
      if (msg !== undefined) await this.process(msg);
    }
  }

  private async pullOne(): Promise<JsMsg | undefined> {
    const pull = await this.consumer.fetch({ max_messages: 1, expires: this.host.pullExpiresMs });
    this.pulls.add(pull);
    if (this.stopped) closeQuietly(pull);
    let taken: JsMsg | undefined;
    try {
      for await (const m of pull) {
        // A second message can only come from a pull re-issued around a reconnect, and one
        // after stop() has no slot: hand both back at once rather than exceed the bound.
        if (taken === undefined && !this.stopped) taken = m;
        else m.nak();
      }
    } finally {
      this.pulls.delete(pull);
    }
    return taken;
  }

  private async recover(err: unknown): Promise<void> {
    if (this.stopped) return;
    // Slots failing together share one recovery round; rounds back off until a pull succeeds.
    if (!this.recovering) {
      this.failures++;
      if (this.failures === 1) {
        this.host.logger.warn(
          { err, stream: this.opts.stream, consumer: this.opts.consumer },
          "work queue pull failed; re-checking the consumer",
        );
      }
      const wait = Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** Math.min(this.failures - 1, 5));
      this.recovering = this.recoverRound(wait).finally(() => {
        this.recovering = undefined;
      });
    }
    await this.recovering;
  }

  private async recoverRound(waitMs: number): Promise<void> {
    await abortableDelay(waitMs, this.abort.signal);
    if (this.stopped) return;
    await this.host.whenConnected(this.abort.signal);
    if (this.stopped) return;
    try {
      this.consumer = await this.host.ensureConsumer(this.opts);
    } catch (err) {
      this.host.logger.warn(
        { err, consumer: this.opts.consumer },
        "cannot re-create work queue consumer; retrying",
      );
    }
  }

  private async process(msg: JsMsg): Promise<void> {
    this.running++;
    try {
      const work = this.wrap(msg);
      if (work === undefined) return;
      try {
        await this.handler(work);
        if (!work.settled) {
          this.host.logger.warn(
            { consumer: this.opts.consumer, subject: msg.subject },
            "work handler returned without settling its message; nak'ed for redelivery",
          );
        }
      } catch (err) {
        this.host.logger.error(
          { err, consumer: this.opts.consumer, subject: msg.subject },
          "work handler failed; message nak'ed for redelivery",
        );
      }
      // The slot is only freed once its message is settled, keeping the bound exact.
      if (!work.settled) work.nak();
    } finally {
      this.running--;
    }
  }

  private wrap(msg: JsMsg): (WorkMessage & { readonly settled: boolean }) | undefined {
    let packet: WorkMessage["packet"];
    try {
      packet = decodePacket(msg.data);
    } catch (err) {
      this.host.decodeFailed(msg.subject, err);
      // Never redeliver what can never decode.
      msg.term();
      return undefined;
    }
    let settled = false;
    const settle = (): boolean => {
      if (settled) return false;
      settled = true;
      return true;
    };
    const { url, ackTimeoutMs } = this.host;
    return {
      packet,
      subject: msg.subject,
      deliveryCount: msg.info.deliveryCount,
      get settled() {
        return settled;
      },
      async ack() {
        if (!settle()) return;
        try {
          // ackAck waits for the server to record the ack: once it resolves, the message
          // will not come back, which is what "one delivery" promises callers.
          await msg.ackAck({ timeout: ackTimeoutMs });
        } catch (cause) {
          throw new CortexError(ErrorCode.BusTimeout, `ack not confirmed by NATS at ${url}`, {
            hint: "The message may be redelivered after its ack wait; handlers are idempotent by job id.",
            cause,
          });
        }
      },
      nak(delayMs?: number) {
        if (settle()) msg.nak(delayMs);
      },
      working() {
        if (!settled) msg.working();
      },
      term() {
        if (settle()) msg.term();
      },
    };
  }
}

function closeQuietly(pull: ConsumerMessages): void {
  pull.close().catch(() => {});
}

function abortableDelay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}
