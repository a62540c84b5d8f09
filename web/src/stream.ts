/**
 * One WebSocket to /api/v1/stream for the whole app, reconnecting with backoff. Browsers
 * cannot set headers on a WebSocket, so the key goes as ?api_key= here and nowhere else.
 */
import { useEffect, useSyncExternalStore } from "react";
import { storedKey } from "./api";
import type { JobEvent } from "./types";

export type StreamState = "connecting" | "live" | "down";

/** Events replayed on each (re)connect, so charts and lists start with recent history. */
const BACKFILL = 500;
const MAX_BACKOFF_MS = 10_000;

type Listener = (ev: JobEvent, replay: boolean) => void;

class LiveStream {
  private socket: WebSocket | undefined;
  private listeners = new Set<Listener>();
  private stateListeners = new Set<() => void>();
  private backoff = 500;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private lastSeq = 0;
  /** Events up to this seq were seen before the current connection (its backfill repeats them). */
  private replayUpTo = 0;
  private paused = false;
  state: StreamState = "connecting";
  /** Bumped on every open: pages refetch what they may have missed while down. */
  generation = 0;

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    if (this.socket === undefined && this.timer === undefined && !this.paused) this.connect();
    return () => this.listeners.delete(listener);
  }

  onState(listener: () => void): () => void {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  }

  /** The API refused the key: stop retrying until restart() brings a new one. */
  pause(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.paused = true;
    const ws = this.socket;
    this.socket = undefined;
    ws?.close();
    this.setState("down");
  }

  /** After a new key: drop the socket and connect with it. */
  restart(): void {
    this.paused = false;
    this.socket?.close();
    this.socket = undefined;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.backoff = 500;
    this.connect();
  }

  private setState(s: StreamState): void {
    this.state = s;
    for (const l of this.stateListeners) l();
  }

  private connect(): void {
    this.timer = undefined;
    const url = new URL("/api/v1/stream", window.location.href);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    url.searchParams.set("backfill", String(BACKFILL));
    const key = storedKey();
    if (key) url.searchParams.set("api_key", key);
    const ws = new WebSocket(url);
    this.socket = ws;
    this.setState("connecting");
    ws.onopen = () => {
      this.backoff = 500;
      this.replayUpTo = this.lastSeq;
      this.generation++;
      this.setState("live");
    };
    ws.onmessage = (msg) => {
      let ev: JobEvent;
      try {
        ev = JSON.parse(String(msg.data)) as JobEvent;
      } catch {
        return;
      }
      const seq = ev.seq ?? 0;
      // The backfill of a reconnect repeats events already seen.
      const replay = seq > 0 && seq <= this.replayUpTo;
      if (seq > this.lastSeq) this.lastSeq = seq;
      for (const l of this.listeners) l(ev, replay);
    };
    ws.onclose = () => {
      if (this.socket !== ws) return;
      this.socket = undefined;
      this.setState("down");
      if (this.paused) return;
      this.timer = setTimeout(() => this.connect(), this.backoff);
      this.backoff = Math.min(this.backoff * 2, MAX_BACKOFF_MS);
    };
  }
}

export const liveStream = new LiveStream();

export function useStreamState(): { state: StreamState; generation: number } {
  const state = useSyncExternalStore(
    (l) => liveStream.onState(l),
    () => liveStream.state,
  );
  return { state, generation: liveStream.generation };
}

/** Calls `listener` for every event of the shared stream while the component is mounted. */
export function useStreamEvents(listener: Listener, deps: unknown[] = []): void {
  // biome-ignore lint/correctness/useExhaustiveDependencies: the caller names what the listener depends on
  useEffect(() => liveStream.subscribe(listener), deps);
}
