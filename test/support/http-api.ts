/**
 * Real HTTP (fetch) and WebSocket (ws) clients for the gateway's HTTP API, with the small
 * conveniences tests need: JSON in and out, and a WebSocket whose messages can be awaited.
 */
import { WebSocket } from "ws";
import type { ErrorJson } from "../../src/client/json-shapes.js";

export interface JsonResponse<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  body: T;
}

/** The HTTP API's error body: the same shape as every CLI `--json` error. */
export type ApiError = ErrorJson;

/** fetch with a JSON body (objects are serialised) and a parsed JSON answer. */
export async function httpJson<T = Record<string, unknown>>(
  url: string,
  init: { method?: string; body?: unknown; headers?: Record<string, string>; rawBody?: string } = {},
): Promise<JsonResponse<T>> {
  const headers: Record<string, string> = { ...init.headers };
  let body: string | undefined = init.rawBody;
  if (init.body !== undefined) {
    body = JSON.stringify(init.body);
    headers["content-type"] ??= "application/json";
  }
  const res = await fetch(url, {
    method: init.method ?? (body === undefined ? "GET" : "POST"),
    headers,
    body,
  });
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = text === "" ? undefined : JSON.parse(text);
  } catch {
    throw new Error(
      `${init.method ?? "GET"} ${url} answered ${res.status} with non-JSON: ${text.slice(0, 200)}`,
    );
  }
  return { status: res.status, headers: res.headers, body: parsed as T };
}

export type StreamMessage = Record<string, unknown>;

/** An open WebSocket to /api/v1/stream with every message kept in arrival order. */
export interface StreamClient {
  ws: WebSocket;
  messages: StreamMessage[];
  /** Resolves with the first message (from `from` on) matching `pred`. */
  next(pred: (m: StreamMessage) => boolean, timeoutMs?: number, from?: number): Promise<StreamMessage>;
  /** Resolves with the close code and reason. */
  closed: Promise<{ code: number; reason: string }>;
  close(): void;
}

export function openStream(url: string, headers: Record<string, string> = {}): Promise<StreamClient> {
  const ws = new WebSocket(url, { headers });
  const messages: StreamMessage[] = [];
  const waiters = new Set<() => void>();
  ws.on("message", (data) => {
    messages.push(JSON.parse(String(data)) as StreamMessage);
    for (const w of [...waiters]) w();
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on("close", (code, reason) => resolve({ code, reason: String(reason) })),
  );
  const next = (pred: (m: StreamMessage) => boolean, timeoutMs = 5_000, from = 0): Promise<StreamMessage> =>
    new Promise((resolve, reject) => {
      const check = () => {
        const found = messages.slice(from).find(pred);
        if (found === undefined) return false;
        waiters.delete(check);
        clearTimeout(timer);
        resolve(found);
        return true;
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`no matching stream message in ${timeoutMs} ms; got ${JSON.stringify(messages)}`));
      }, timeoutMs);
      if (!check()) waiters.add(check);
    });
  return new Promise((resolve, reject) => {
    ws.once("open", () => resolve({ ws, messages, next, closed, close: () => ws.close() }));
    ws.once("unexpected-response", (_req, res) => {
      reject(new Error(`stream refused with HTTP ${res.statusCode}`));
      ws.terminate();
    });
    ws.once("error", reject);
  });
}

/** The HTTP answer that refused a WebSocket upgrade (status and JSON body). */
export function streamRefusal(
  url: string,
  headers: Record<string, string> = {},
): Promise<JsonResponse<ApiError>> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.once("open", () => {
      ws.close();
      reject(new Error("the stream was opened, expected a refusal"));
    });
    ws.once("unexpected-response", (_req, res) => {
      let text = "";
      res.on("data", (d: Buffer) => {
        text += String(d);
      });
      res.on("end", () => {
        resolve({
          status: res.statusCode ?? 0,
          headers: new Headers(),
          body: (text === "" ? {} : JSON.parse(text)) as ApiError,
        });
        ws.terminate();
      });
    });
    ws.once("error", (err) => {
      // ws emits an error after unexpected-response when aborted; the refusal already resolved.
      if (!String(err.message).includes("Unexpected server response")) reject(err);
    });
  });
}
