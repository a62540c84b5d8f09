/**
 * Core publish/subscribe routing: NATS subject wildcards (`*` one token, `>` the rest) and
 * queue groups (each message to one member of each group, groups keyed by queue name as
 * nats-server does). Matches are cached per concrete subject until subscriptions change.
 */
import { matchesSubject } from "../../core/topic-match.js";
import type { CoreSubscription } from "./core-subscription.js";
import type { MessageBody } from "./message-body.js";

interface QueueGroup {
  members: CoreSubscription[];
  next: number;
}

interface Route {
  plain: CoreSubscription[];
  groups: QueueGroup[];
}

/** Cached routes; wildcard traffic over many subjects must not grow the cache forever. */
const MAX_ROUTES = 10_000;

export class CoreRouter {
  private readonly subs = new Set<CoreSubscription>();
  private readonly routes = new Map<string, Route>();

  add(sub: CoreSubscription): void {
    this.subs.add(sub);
    this.routes.clear();
  }

  remove(sub: CoreSubscription): void {
    if (this.subs.delete(sub)) this.routes.clear();
  }

  publish(subject: string, body: MessageBody): void {
    const route = this.routes.get(subject) ?? this.build(subject);
    for (const sub of route.plain) sub.enqueue(subject, body);
    for (const group of route.groups) {
      const member = group.members[group.next++ % group.members.length];
      member?.enqueue(subject, body);
    }
  }

  closeAll(): void {
    for (const sub of this.subs) sub.close();
    this.subs.clear();
    this.routes.clear();
  }

  private build(subject: string): Route {
    const route: Route = { plain: [], groups: [] };
    const byQueue = new Map<string, QueueGroup>();
    for (const sub of this.subs) {
      if (!matchesSubject(sub.pattern, subject)) continue;
      if (sub.queueGroup === undefined) {
        route.plain.push(sub);
        continue;
      }
      let group = byQueue.get(sub.queueGroup);
      if (group === undefined) {
        group = { members: [], next: 0 };
        byQueue.set(sub.queueGroup, group);
        route.groups.push(group);
      }
      group.members.push(sub);
    }
    if (this.routes.size >= MAX_ROUTES) this.routes.clear();
    this.routes.set(subject, route);
    return route;
  }
}
