/** A FIFO queue with O(1) push and shift (Array.prototype.shift is O(n) on long arrays). */
export class Deque<T> {
  private items: (T | undefined)[] = [];
  private head = 0;

  get size(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    this.items.push(item);
  }

  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head];
    this.items[this.head] = undefined;
    this.head++;
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      // Compact once the consumed prefix dominates, so memory follows the live size.
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }

  /** Removes and returns the items for which `take` is true, keeping the others in order. */
  takeWhere(take: (item: T) => boolean): T[] {
    const taken: T[] = [];
    const kept: T[] = [];
    for (let i = this.head; i < this.items.length; i++) {
      const item = this.items[i] as T;
      (take(item) ? taken : kept).push(item);
    }
    this.items = kept;
    this.head = 0;
    return taken;
  }

  clear(): void {
    this.items = [];
    this.head = 0;
  }
}
