/**
 * A work-queue stream: stores what is published on its subjects, drops msgId duplicates
 * within the duplicate window, and gives each message to the one durable consumer whose
 * filter matches it. A message no consumer matches yet waits in the stream for one.
 */
import { CortexError, ErrorCode } from "../../core/errors.js";
import { matchesSubject } from "../../core/topic-match.js";
import type { WorkQueueOptions } from "../bus.js";
import { type ConsumerSettings, DurableConsumer } from "./durable-consumer.js";
import type { MessageBody } from "./message-body.js";
import { StoredMessage, type WorkEnv } from "./stored-message.js";
import { patternsOverlap } from "./subject-overlap.js";

/** Cached subject → consumer lookups; bounded for traffic over many subjects. */
const MAX_OWNERS = 10_000;

export class WorkStream {
  private seq = 0;
  private readonly consumers = new Map<string, DurableConsumer>();
  /** In stream order. */
  private unclaimed: StoredMessage[] = [];
  /** msgId → when it leaves the window; insertion order is expiry order. */
  private readonly recentIds = new Map<string, number>();
  private readonly owners = new Map<string, DurableConsumer | null>();

  constructor(
    readonly name: string,
    readonly subjects: readonly string[],
    private readonly duplicateWindowMs: number,
    private readonly env: WorkEnv,
  ) {}

  captures(subject: string): boolean {
    return this.subjects.some((s) => matchesSubject(s, subject));
  }

  /** Stores a message; false when `msgId` was already stored within the duplicate window. */
  store(subject: string, body: MessageBody, msgId?: string): boolean {
    if (msgId !== undefined) {
      const now = this.env.now();
      for (const [id, expiresAt] of this.recentIds) {
        if (expiresAt > now) break;
        this.recentIds.delete(id);
      }
      if (this.recentIds.has(msgId)) return false;
      this.recentIds.set(msgId, now + this.duplicateWindowMs);
    }
    const msg = new StoredMessage(++this.seq, subject, body);
    const owner = this.ownerOf(subject);
    if (owner === null) this.unclaimed.push(msg);
    else owner.claim(msg);
    return true;
  }

  /** The durable consumer `opts` names, created or updated to `opts`. */
  consumer(opts: WorkQueueOptions): DurableConsumer {
    this.checkFilter(opts);
    const settings: ConsumerSettings = {
      filterSubject: opts.filterSubject,
      ackWaitMs: opts.ackWaitMs,
      maxDeliver: opts.maxDeliver,
    };
    let consumer = this.consumers.get(opts.consumer);
    if (consumer === undefined) {
      consumer = new DurableConsumer(opts.consumer, settings, this.env);
      this.consumers.set(opts.consumer, consumer);
    } else {
      const filterChanged = consumer.settings.filterSubject !== opts.filterSubject;
      consumer.settings = settings;
      if (!filterChanged) return consumer;
      const released = consumer.release((s) => matchesSubject(opts.filterSubject, s));
      this.unclaimed = [...this.unclaimed, ...released].sort((a, b) => a.seq - b.seq);
    }
    this.owners.clear();
    this.claimWaiting(consumer);
    return consumer;
  }

  consumerList(): DurableConsumer[] {
    return [...this.consumers.values()];
  }

  private claimWaiting(consumer: DurableConsumer): void {
    const { filterSubject } = consumer.settings;
    const waiting: StoredMessage[] = [];
    for (const msg of this.unclaimed) {
      if (matchesSubject(filterSubject, msg.subject)) consumer.claim(msg);
      else waiting.push(msg);
    }
    this.unclaimed = waiting;
  }

  private ownerOf(subject: string): DurableConsumer | null {
    let owner = this.owners.get(subject);
    if (owner === undefined) {
      owner = null;
      for (const c of this.consumers.values()) {
        if (matchesSubject(c.settings.filterSubject, subject)) {
          owner = c;
          break;
        }
      }
      if (this.owners.size >= MAX_OWNERS) this.owners.clear();
      this.owners.set(subject, owner);
    }
    return owner;
  }

  /** The checks nats-server makes for a consumer on a work-queue stream. */
  private checkFilter(opts: WorkQueueOptions): void {
    const filter = opts.filterSubject;
    if (!this.subjects.some((s) => patternsOverlap(s, filter))) {
      throw new CortexError(
        ErrorCode.InvalidArgument,
        `consumer ${opts.consumer}: filter subject ${filter} is outside stream ${this.name} (${this.subjects.join(", ")})`,
        { hint: "Use a filter subject the stream captures." },
      );
    }
    for (const other of this.consumers.values()) {
      if (other.name !== opts.consumer && patternsOverlap(other.settings.filterSubject, filter)) {
        throw new CortexError(
          ErrorCode.InvalidArgument,
          `consumer ${opts.consumer}: filter subject ${filter} overlaps consumer ${other.name} (${other.settings.filterSubject}) on work-queue stream ${this.name}`,
          {
            hint: "A work-queue stream gives each message to one consumer: share that consumer's name or use a filter no other consumer covers.",
          },
        );
      }
    }
  }
}
