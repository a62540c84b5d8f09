/**
 * Deadlines for many items on one timer: an indexed min-heap ordered by `dueAt`, with a
 * single setTimeout armed for the earliest. Items carry their heap position, so moving a
 * deadline (working()) or cancelling it (ack) is O(log n) and leaves nothing behind.
 */
export interface Timed {
  dueAt: number;
  /** Position in the heap; -1 when not scheduled. */
  heapIndex: number;
}

/** Deadlines this close count as due, so a timer firing a fraction early does not re-arm. */
const TOLERANCE_MS = 1;

export class TimerWheel<T extends Timed> {
  private readonly heap: T[] = [];
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Number.POSITIVE_INFINITY;

  constructor(
    private readonly onDue: (item: T) => void,
    private readonly now: () => number,
  ) {}

  get size(): number {
    return this.heap.length;
  }

  /** Schedules `item` at `dueAt`, moving it when already scheduled. */
  schedule(item: T, dueAt: number): void {
    const old = item.dueAt;
    item.dueAt = dueAt;
    if (item.heapIndex < 0) {
      item.heapIndex = this.heap.length;
      this.heap.push(item);
      this.up(item.heapIndex);
    } else if (dueAt < old) {
      this.up(item.heapIndex);
    } else {
      this.down(item.heapIndex);
    }
    this.arm();
  }

  cancel(item: T): void {
    const i = item.heapIndex;
    if (i < 0) return;
    item.heapIndex = -1;
    const last = this.heap.pop() as T;
    if (i === this.heap.length) return;
    this.heap[i] = last;
    last.heapIndex = i;
    this.up(i);
    this.down(last.heapIndex);
    // An earlier armed timer just fires and finds nothing due; re-arming would cost more.
  }

  close(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = Number.POSITIVE_INFINITY;
    for (const item of this.heap) item.heapIndex = -1;
    this.heap.length = 0;
  }

  private arm(): void {
    const top = this.heap[0];
    if (top === undefined || top.dueAt >= this.timerAt) return;
    clearTimeout(this.timer);
    this.timerAt = top.dueAt;
    this.timer = setTimeout(this.fire, Math.max(0, top.dueAt - this.now()));
    // Pending deadlines alone must not keep the process alive.
    this.timer.unref();
  }

  private readonly fire = (): void => {
    this.timer = undefined;
    this.timerAt = Number.POSITIVE_INFINITY;
    const now = this.now() + TOLERANCE_MS;
    for (let top = this.heap[0]; top !== undefined && top.dueAt <= now; top = this.heap[0]) {
      this.cancel(top);
      this.onDue(top);
    }
    this.arm();
  };

  private up(i: number): void {
    const heap = this.heap;
    const item = heap[i] as T;
    while (i > 0) {
      const parentIndex = (i - 1) >> 1;
      const parent = heap[parentIndex] as T;
      if (parent.dueAt <= item.dueAt) break;
      heap[i] = parent;
      parent.heapIndex = i;
      i = parentIndex;
    }
    heap[i] = item;
    item.heapIndex = i;
  }

  private down(i: number): void {
    const heap = this.heap;
    const n = heap.length;
    const item = heap[i] as T;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= n) break;
      const right = child + 1;
      if (right < n && (heap[right] as T).dueAt < (heap[child] as T).dueAt) child = right;
      const c = heap[child] as T;
      if (c.dueAt >= item.dueAt) break;
      heap[i] = c;
      c.heapIndex = i;
      i = child;
    }
    heap[i] = item;
    item.heapIndex = i;
  }
}
