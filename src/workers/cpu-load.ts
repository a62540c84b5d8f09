/**
 * Process CPU % between two samples, from process.cpuUsage deltas. 100 means one core
 * busy for the whole interval — the saturation point of a Node main thread — so the
 * value is clamped to the heartbeat's 0–100 range.
 */
export class CpuLoadMeter {
  private lastUsage = process.cpuUsage();
  private lastAt = process.hrtime.bigint();

  /** CPU % since the previous call (or since construction). */
  sample(): number {
    const now = process.hrtime.bigint();
    const usage = process.cpuUsage(this.lastUsage);
    const elapsedMicros = Number(now - this.lastAt) / 1000;
    this.lastUsage = process.cpuUsage();
    this.lastAt = now;
    if (elapsedMicros <= 0) return 0;
    const percent = ((usage.user + usage.system) / elapsedMicros) * 100;
    return Math.min(100, Math.max(0, Math.round(percent * 10) / 10));
  }
}
