import type { PolicyDecision } from "../../core/policy.js";

/**
 * A short-lived memo of safety decisions keyed by (topic, tenant).
 *
 * Why caching a safety decision is safe: the kernel's rules are static config loaded at start
 * (config/safety.yaml), and a decision depends only on the topic and the tenant — never on the
 * job id or its payload. A burst of jobs on one topic therefore gets the same answer, and the
 * short TTL bounds how long a client keeps using a decision after the kernel restarts with an
 * edited policy. Only answers are cached, never failures, so "kernel unreachable" is noticed on
 * the very next uncached check and the scheduler stays fail-closed.
 */
export class DecisionCache {
  private readonly entries = new Map<string, { expiresAt: number; decision: PolicyDecision }>();

  /** `ttlMs` 0 disables caching; `maxEntries` bounds memory when many tenants or topics pass. */
  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries = 1024,
    private readonly now: () => number = Date.now,
  ) {}

  get enabled(): boolean {
    return this.ttlMs > 0;
  }

  get(topic: string, tenant: string): PolicyDecision | undefined {
    if (!this.enabled) return undefined;
    const key = cacheKey(topic, tenant);
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= this.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.decision;
  }

  set(topic: string, tenant: string, decision: PolicyDecision): void {
    if (!this.enabled) return;
    const key = cacheKey(topic, tenant);
    // Re-inserting moves the key to the end, so Map order stays oldest-first for eviction.
    this.entries.delete(key);
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(key, { expiresAt: this.now() + this.ttlMs, decision });
  }

  clear(): void {
    this.entries.clear();
  }
}

// NUL cannot occur in a topic or a tenant, so the pair maps to one key without ambiguity.
const cacheKey = (topic: string, tenant: string): string => `${topic}\u0000${tenant}`;
