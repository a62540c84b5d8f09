/** Whether the last safety check reached the kernel; the reconciler fails stuck PENDING jobs only while it is down. */
export class SafetyHealth {
  private downSinceMs: number | undefined;

  markUp(): void {
    this.downSinceMs = undefined;
  }

  markDown(nowMs: number): void {
    this.downSinceMs ??= nowMs;
  }

  isDown(): boolean {
    return this.downSinceMs !== undefined;
  }
}
