/** Every store key name, built under an optional prefix (tests use a unique prefix). */
export interface KeyNames {
  ctx(jobId: string): string;
  res(jobId: string): string;
  meta(jobId: string): string;
  events(jobId: string): string;
  index(state: string): string;
  recent(): string;
  /** sorted set of every job id (all score 0), for id-prefix lookups */
  ids(): string;
  trace(traceId: string): string;
  /** first-result-wins guard per job and attempt */
  resultGuard(jobId: string, attempt: number): string;
  late(jobId: string): string;
  eventStream(): string;
  eventSeq(): string;
  /** sorted set of dead-letter ids (all score 0: lexical = time order) */
  deadLetters(): string;
  deadLetter(id: string): string;
  prefix: string;
}

export function keyNames(prefix = ""): KeyNames {
  const p = prefix;
  return {
    prefix: p,
    ctx: (id) => `${p}ctx:${id}`,
    res: (id) => `${p}res:${id}`,
    meta: (id) => `${p}job:meta:${id}`,
    events: (id) => `${p}job:events:${id}`,
    index: (state) => `${p}job:index:${state}`,
    recent: () => `${p}job:recent`,
    ids: () => `${p}job:ids`,
    trace: (traceId) => `${p}trace:${traceId}`,
    resultGuard: (id, attempt) => `${p}job:result:${id}:${attempt}`,
    late: (id) => `${p}job:late:${id}`,
    eventStream: () => `${p}events`,
    eventSeq: () => `${p}events:seq`,
    deadLetters: () => `${p}dlq`,
    deadLetter: (id) => `${p}dlq:${id}`,
  };
}

/** Pointers are always unprefixed-looking "redis://<key>" strings naming the real key. */
export function redisPointer(key: string): string {
  return `redis://${key}`;
}

export function parseRedisPointer(ptr: string): string | undefined {
  return ptr.startsWith("redis://") ? ptr.slice("redis://".length) : undefined;
}
