/** status()/onStatus() of the in-process bus: connected until close(), then closed; decode errors counted. */
import type { BusLogger, BusState, BusStatus } from "../bus.js";

/** Subjects whose decode failures were logged; bounded so wildcard traffic cannot grow it. */
const MAX_LOGGED_SUBJECTS = 1000;

export class MemoryStatus {
  private state: BusState = "connected";
  private decodeErrors = 0;
  private readonly decodeLogged = new Set<string>();
  private readonly listeners = new Set<(status: BusStatus) => void>();

  constructor(
    private readonly url: string,
    private readonly logger: BusLogger,
  ) {}

  get closed(): boolean {
    return this.state === "closed";
  }

  status(): BusStatus {
    return { state: this.state, url: this.url, decodeErrors: this.decodeErrors };
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

  markClosed(): void {
    if (this.state === "closed") return;
    this.state = "closed";
    this.logger.info({ url: this.url, state: this.state }, "bus connection state");
    const snapshot = this.status();
    for (const l of this.listeners) {
      try {
        l(snapshot);
      } catch (err) {
        this.logger.error({ err }, "bus status listener failed");
      }
    }
    this.listeners.clear();
  }
}
