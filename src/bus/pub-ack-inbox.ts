/**
 * JetStream publishes with their acknowledgements on one shared inbox subscription.
 *
 * nats.js `js.publish()` is a request: per message it builds a request object, a timer with
 * an error object, a mux entry, and on success rejects an already settled promise with a
 * freshly built "cancelled" error (a stack capture per publish). Every job takes three
 * durable publishes, so the daemon publishes with a reply subject of its own and matches
 * the PubAck by its token instead; what goes on the wire is the same. At most `window`
 * publishes wait for their PubAck at once (JetStream's async publish window); later ones
 * wait for a free slot, so a burst cannot flood the server or the process.
 */
import { headers, type Msg, type NatsConnection, nuid, type Subscription } from "nats";
import { CortexError, ErrorCode } from "../core/errors.js";
import { busTimeout, toBusError } from "./nats-errors.js";

interface Pending {
  resolve(): void;
  reject(err: unknown): void;
  timer: NodeJS.Timeout;
  what: string;
}

/** Publishes in flight before the next one waits for a PubAck. */
const DEFAULT_WINDOW = 1024;

/** A PubAck's error, shaped like nats.js API errors so toBusError maps it by err_code. */
class PubAckError extends Error {
  constructor(
    message: string,
    readonly api_error: { code?: number; err_code?: number; description?: string },
  ) {
    super(message);
  }
}

export class PubAckInbox {
  private readonly prefix: string;
  private sub: Subscription | undefined;
  private next = 0;
  private readonly pending = new Map<string, Pending>();
  private readonly decoder = new TextDecoder();
  private readonly waiting: (() => void)[] = [];

  constructor(
    private readonly nc: NatsConnection,
    private readonly url: string,
    private readonly timeoutMs: number,
    private readonly window = DEFAULT_WINDOW,
  ) {
    this.prefix = `_INBOX.${nuid.next()}.`;
  }

  /** Publishes to a JetStream subject and resolves once the stream has stored it. */
  async publish(subject: string, data: Uint8Array, msgId?: string): Promise<void> {
    while (this.pending.size >= this.window) await new Promise<void>((r) => this.waiting.push(r));
    try {
      await this.send(subject, data, msgId);
    } finally {
      this.waiting.shift()?.();
    }
  }

  private send(subject: string, data: Uint8Array, msgId?: string): Promise<void> {
    this.sub ??= this.nc.subscribe(`${this.prefix}*`, { callback: (_err, msg) => this.settle(msg) });
    const token = (this.next++).toString(36);
    const what = `durable publish to ${subject}`;
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(token);
        reject(busTimeout(this.url, what, undefined));
      }, this.timeoutMs);
      this.pending.set(token, { resolve, reject, timer, what });
      try {
        const opts: { reply: string; headers?: ReturnType<typeof headers> } = { reply: this.prefix + token };
        if (msgId !== undefined) {
          const h = headers();
          h.set("Nats-Msg-Id", msgId);
          opts.headers = h;
        }
        this.nc.publish(subject, data, opts);
      } catch (err) {
        clearTimeout(timer);
        this.pending.delete(token);
        reject(toBusError(this.url, what, err));
      }
    });
  }

  /** Fails every publish still waiting (the connection is closing). */
  close(): void {
    for (const [token, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(new CortexError(ErrorCode.BusUnavailable, `${p.what}: the bus connection closed`));
      this.pending.delete(token);
    }
    this.sub?.unsubscribe();
    this.sub = undefined;
  }

  private settle(msg: Msg): void {
    const token = msg.subject.slice(this.prefix.length);
    const p = this.pending.get(token);
    if (p === undefined) return; // timed out already
    this.pending.delete(token);
    clearTimeout(p.timer);
    // A status message: no stream listens on the subject (503), or another server status.
    const status = msg.headers?.code ?? 0;
    if (status >= 300) {
      p.reject(
        toBusError(this.url, p.what, Object.assign(new Error(`status ${status}`), { code: String(status) })),
      );
      return;
    }
    let ack: { error?: { code?: number; err_code?: number; description?: string } };
    try {
      ack = JSON.parse(this.decoder.decode(msg.data)) as typeof ack;
    } catch (err) {
      p.reject(toBusError(this.url, p.what, err));
      return;
    }
    if (ack.error !== undefined) {
      const e = new PubAckError(ack.error.description ?? "JetStream refused the message", ack.error);
      p.reject(toBusError(this.url, p.what, e));
      return;
    }
    p.resolve();
  }
}
