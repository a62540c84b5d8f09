/**
 * Connection state of a NatsBus, fed by nats.js status events, plus the decode-error
 * count. Lets operations wait for the connection instead of queueing work blindly.
 */
import { DebugEvents, Events, type NatsConnection } from "nats";
import type { BusLogger, BusState, BusStatus } from "./bus.js";

export type { BusLogger } from "./bus.js";

/** Subjects whose decode failures were logged; bounded so wildcard traffic cannot grow it. */
const MAX_LOGGED_SUBJECTS = 1000;

export class NatsStatusTracker {
  private state: BusState = "connected";
  private lastError: string | undefined;
  private decodeErrors = 0;
  private readonly decodeLogged = new Set<string>();
  private readonly listeners = new Set<(status: BusStatus) => void>();

  constructor(
    private readonly url: string,
    private readonly logger: BusLogger,
  ) {}

  /** Follows the connection until it closes; `onClosed` runs before listeners hear "closed". */
  watch(nc: NatsConnection, onClosed: () => void): void {
    void this.follow(nc);
    nc.closed().then((err) => {
      if (err) this.lastError = String(err);
      onClosed();
      this.set("closed");
    });
  }

  status(): BusStatus {
    const s: BusStatus = { state: this.state, url: this.url, decodeErrors: this.decodeErrors };
    if (this.lastError !== undefined) s.lastError = this.lastError;
    return s;
  }

  onStatus(listener: (status: BusStatus) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  decodeFailed(subject: string, err: unknown): void {
    this.decodeErrors++;
    if (this.decodeLogged.has(subject) || this.decodeLogged.size >= MAX_LOGGED_SUBJECTS) return;
    this.decodeLogged.add(subject);
    this.logger.warn(
      { err, subject },
      "undecodable bus message dropped; later ones on this subject are only counted (status().decodeErrors)",
    );
  }

  /** Resolves once connected (at once when already), closed, or when `signal` aborts. */
  whenConnected(signal: AbortSignal): Promise<void> {
    if (this.state === "connected" || this.state === "closed" || signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        off();
        signal.removeEventListener("abort", done);
        resolve();
      };
      const off = this.onStatus((s) => {
        if (s.state === "connected" || s.state === "closed") done();
      });
      signal.addEventListener("abort", done, { once: true });
    });
  }

  /** Waits up to `ms` for the connection; false when it did not come back in time. */
  async connectedWithin(ms: number): Promise<boolean> {
    if (this.state === "connected") return true;
    await this.whenConnected(AbortSignal.timeout(ms));
    return this.status().state === "connected";
  }

  private async follow(nc: NatsConnection): Promise<void> {
    for await (const s of nc.status()) {
      switch (s.type) {
        case Events.Disconnect:
          this.set("disconnected");
          break;
        case DebugEvents.Reconnecting:
          this.set("reconnecting");
          break;
        case Events.Reconnect:
          this.set("connected");
          break;
        case Events.Error:
          this.lastError = String(s.data);
          this.logger.warn({ data: s.data }, "NATS async error");
          break;
        case Events.LDM:
          this.logger.warn(
            { server: s.data },
            "NATS server entering lame duck mode; will reconnect elsewhere",
          );
          break;
        default:
          break;
      }
    }
  }

  private set(state: BusState): void {
    if (this.state === state || this.state === "closed") return;
    this.state = state;
    const fields = { url: this.url, state };
    if (state === "connected") this.logger.info(fields, "bus connection state");
    else this.logger.warn(fields, "bus connection state");
    const snapshot = this.status();
    for (const l of this.listeners) {
      try {
        l(snapshot);
      } catch (err) {
        this.logger.error({ err }, "bus status listener failed");
      }
    }
  }
}
