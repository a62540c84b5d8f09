/**
 * Pulls a JetStream work queue in batches with a hard bound on un-settled messages.
 *
 * The bound is `running + outstanding <= maxInFlight`, where `running` counts messages
 * handed to the handler and not yet finished, and `outstanding` counts messages asked for by
 * open pull requests but not yet received. A new pull asks for exactly the free room, so the
 * server can never hand us more than we can run; each message goes to the handler as soon as
 * it arrives, and a pull that ends (filled or expired) gives its unreceived remainder back.
 * nats.js `consume()` refills on receipt rather than on settle, so it would buffer past the
 * bound; fetch() per batch does not.
 *
 * Pulls are batched: a new one is only issued once a quarter of the room is free, so one
 * pull request (inbox subscription, request, heartbeats) serves many messages. When the
 * server has filled every open pull (a backlog), a smaller free room is pulled after a short
 * linger instead, so slots never sit idle for long while work waits.
 *
 * A failing pull (server restarted, consumer or stream lost) re-ensures the consumer once
 * for all pulls that failed together, backing off while it keeps failing; while the
 * connection is down, pulls wait for it instead of queueing.
 */
import type { Consumer, ConsumerMessages, JsMsg } from "nats";
import { busUnavailable } from "../core/errors.js";
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
  pullExpiresMs: number;
  logger: { warn(obj: object, msg?: string): void; error(obj: object, msg?: string): void };
}

const RETRY_MIN_MS = 100;
const RETRY_MAX_MS = 2_000;
/** How long a free room smaller than the batch threshold waits, during a backlog, to grow. */
const LINGER_MS = 5;

/** The smallest free room worth a pull request of its own (outside a backlog). */
function pullThreshold(maxInFlight: number): number {
  return Math.max(1, Math.ceil(maxInFlight / 4));
}

export class NatsWorkConsumer implements WorkConsumer {
  /** Messages handed to the handler whose handler has not returned yet. */
  private running = 0;
  /** Messages asked for by open pulls and not received yet. */
  private outstanding = 0;
  private readonly threshold: number;
  private readonly abort = new AbortController();
  private readonly pulls = new Set<ConsumerMessages>();
  /** Pull loops and running handlers, for stop() to wait on. */
  private readonly tasks = new Set<Promise<void>>();
  private linger: NodeJS.Timeout | undefined;
  /** One re-ensure shared by all pulls that failed together. */
  private recovering: Promise<void> | undefined;
  private failures = 0;

  constructor(
    private readonly host: WorkConsumerHost,
    private readonly opts: WorkQueueOptions,
    private consumer: Consumer,
    private readonly handler: WorkHandler,
  ) {
    this.threshold = pullThreshold(opts.maxInFlight);
  }

  start(): void {
    this.fill();
  }

  inFlight(): number {
    return this.running;
  }

  async stop(): Promise<void> {
    if (!this.abort.signal.aborted) {
      this.abort.abort();
      clearTimeout(this.linger);
      // The server drops a pull request once its inbox has no interest, so nothing is
      // delivered to a closed pull and left waiting for the ack wait.
      for (const pull of this.pulls) closeQuietly(pull);
    }
    while (this.tasks.size > 0) await Promise.all(this.tasks);
  }

  private get stopped(): boolean {
    return this.abort.signal.aborted;
  }

  private track(task: Promise<void>): void {
    // Settling can throw once the connection is closed; that must not become an unhandled rejection.
    const tracked: Promise<void> = task
      .catch((err: unknown) => {
        this.host.logger.error({ err, consumer: this.opts.consumer }, "work queue task failed");
      })
      .finally(() => this.tasks.delete(tracked));
    this.tasks.add(tracked);
  }

  /** Asks for the free room when it is worth a pull; call whenever the room may have grown. */
  private fill(force = false): void {
    if (this.stopped || this.recovering) return;
    const free = this.opts.maxInFlight - this.running - this.outstanding;
    if (free <= 0) return;
    if (free >= this.threshold || force) {
      clearTimeout(this.linger);
      this.linger = undefined;
      this.outstanding += free;
      this.track(this.pull(free));
    } else if (this.outstanding === 0 && this.linger === undefined) {
      // Every open pull is filled, so the server has more: take what is free shortly.
      this.linger = setTimeout(() => {
        this.linger = undefined;
        this.fill(true);
      }, LINGER_MS);
    }
  }

  /** One pull request for `batch` messages, already counted in `outstanding`. */
  private async pull(batch: number): Promise<void> {
    let remaining = batch;
    let failure: { err: unknown } | undefined;
    try {
      await this.host.whenConnected(this.abort.signal);
      if (this.stopped) return;
      const pull = await this.consumer.fetch({ max_messages: batch, expires: this.host.pullExpiresMs });
      this.pulls.add(pull);
      if (this.stopped) closeQuietly(pull);
      try {
        for await (const m of pull) {
          // More than asked for can only come from a pull nats.js re-issued around a
          // reconnect, and one after stop() has nowhere to run: hand both back at once.
          if (remaining === 0 || this.stopped) {
            m.nak();
            continue;
          }
          remaining--;
          this.outstanding--;
          this.running++;
          this.track(this.process(m));
          if (this.outstanding === 0) this.fill();
        }
      } finally {
        this.pulls.delete(pull);
      }
      this.failures = 0;
    } catch (err) {
      failure = { err };
    } finally {
      this.outstanding -= remaining;
    }
    if (failure !== undefined) await this.recover(failure.err);
    this.fill();
  }

  private async recover(err: unknown): Promise<void> {
    if (this.stopped) return;
    // Pulls failing together share one recovery round; rounds back off until a pull succeeds.
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

  /** Runs the handler for a message already counted in `running`. */
  private async process(msg: JsMsg): Promise<void> {
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
      // The room is only freed once its message is settled, keeping the bound exact.
      if (!work.settled) work.nak();
    } finally {
      this.running--;
      this.fill();
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
    const { url } = this.host;
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
          // A plain +ACK, not ackAck: waiting for the server's confirmation costs a request
          // per message, and a lost ack only means a redelivery after the ack wait, which
          // every handler tolerates (each step is idempotent by job id and attempt).
          msg.ack();
        } catch (cause) {
          throw busUnavailable(url, cause);
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
