/**
 * Runs store operations in call order, grouping those issued in the same tick into one
 * transaction: a commit costs far more than the statements of one job step, so many steps
 * share one. When an operation throws, the batch is rolled back and run again with each
 * operation in a transaction of its own, so one bad operation leaves the others intact
 * (savepoints around every operation would cost two statements each on the common path).
 * A failed commit fails every operation of the batch.
 */
import type Database from "better-sqlite3";

interface Pending {
  run: () => unknown;
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
}

type Settled = { ok: true; value: unknown } | { ok: false; error: unknown };

/** Bounds how long one batch holds the event loop. */
const MAX_BATCH = 2_000;

export class WriteBatcher {
  private queue: Pending[] = [];
  private scheduled = false;
  private idle: (() => void)[] = [];
  private readonly batch: (ops: readonly Pending[]) => Settled[];
  private readonly single: (op: Pending) => unknown;

  constructor(
    db: Database.Database,
    private readonly toError: (err: unknown) => unknown,
  ) {
    const together = db.transaction((ops: readonly Pending[]) =>
      ops.map((op): Settled => ({ ok: true, value: op.run() })),
    );
    this.single = db.transaction((op: Pending) => op.run());
    this.batch = (ops) => {
      try {
        return together(ops);
      } catch {
        // Rolled back as a whole: find the operation that failed by running each alone.
        return ops.map((op) => this.runSingle(op));
      }
    };
  }

  /** Queues `run` for the next batch; it runs inside a transaction. */
  write<T>(run: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ run, resolve: resolve as (v: unknown) => void, reject });
      this.schedule();
    });
  }

  /** Runs `run` at once when nothing is queued, else after what is queued (reads see earlier writes). */
  read<T>(run: () => T): Promise<T> {
    if (this.queue.length > 0) return this.write(run);
    try {
      return Promise.resolve(run());
    } catch (err) {
      return Promise.reject(this.toError(err));
    }
  }

  /** Resolves once everything queued so far has run. */
  drained(): Promise<void> {
    if (this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.flush());
  }

  private flush(): void {
    this.scheduled = false;
    const ops = this.queue.splice(0, MAX_BATCH);
    if (this.queue.length > 0) this.schedule();
    let settled: Settled[];
    try {
      settled = ops.length === 1 ? [this.runSingle(ops[0] as Pending)] : this.batch(ops);
    } catch (err) {
      const error = this.toError(err);
      settled = ops.map(() => ({ ok: false, error }));
    }
    settled.forEach((s, i) => {
      const op = ops[i] as Pending;
      if (s.ok) op.resolve(s.value);
      else op.reject(this.toError(s.error));
    });
    if (this.queue.length === 0) for (const done of this.idle.splice(0)) done();
  }

  /** One operation alone: its own transaction, no savepoint. */
  private runSingle(op: Pending): Settled {
    try {
      return { ok: true, value: this.single(op) };
    } catch (error) {
      return { ok: false, error };
    }
  }
}
