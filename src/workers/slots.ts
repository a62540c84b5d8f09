/**
 * A counting limiter shared by every topic a runtime consumes, so `concurrency` bounds
 * the jobs running at once across all of them. Waiters are served in arrival order.
 */
export class Slots {
  private used = 0;
  private readonly waiters: Array<(granted: boolean) => void> = [];

  constructor(readonly capacity: number) {}

  get active(): number {
    return this.used;
  }

  /** Resolves true once a slot is held, or false when the limiter was closed first. */
  acquire(): Promise<boolean> {
    if (this.used < this.capacity) {
      this.used += 1;
      return Promise.resolve(true);
    }
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  release(): void {
    const next = this.waiters.shift();
    // The slot passes straight to the next waiter, so `used` stays the same.
    if (next) next(true);
    else this.used = Math.max(0, this.used - 1);
  }

  /** Turns every waiter away (drain): they get false and must hand their message back. */
  rejectWaiters(): void {
    for (const waiter of this.waiters.splice(0)) waiter(false);
  }
}
