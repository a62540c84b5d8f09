/**
 * REST calls to the gateway's /api/v1 with the key from sessionStorage (X-API-Key). A 401
 * tells the key prompt to open; the error carries the API's own code, message and hint.
 */
const KEY_ITEM = "cortex.api_key";

export function storedKey(): string | null {
  return sessionStorage.getItem(KEY_ITEM);
}

export function storeKey(key: string | null): void {
  if (key === null) sessionStorage.removeItem(KEY_ITEM);
  else sessionStorage.setItem(KEY_ITEM, key);
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly hint?: string,
  ) {
    super(message);
  }
}

export interface AuthNeeded {
  /** A key was sent and refused (not just missing). */
  wrong: boolean;
  message: string;
}

const authListeners = new Set<(need: AuthNeeded) => void>();

export function onAuthNeeded(listener: (need: AuthNeeded) => void): () => void {
  authListeners.add(listener);
  return () => authListeners.delete(listener);
}

export async function api<T>(path: string, init: { method?: string; body?: unknown } = {}): Promise<T> {
  const headers: Record<string, string> = { accept: "application/json" };
  const key = storedKey();
  if (key) headers["x-api-key"] = key;
  if (init.body !== undefined) headers["content-type"] = "application/json";
  const res = await fetch(`/api/v1${path}`, {
    method: init.method ?? "GET",
    headers,
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  const text = await res.text();
  let body: unknown;
  try {
    body = text === "" ? undefined : JSON.parse(text);
  } catch {
    throw new ApiError(res.status, "BAD_RESPONSE", `the gateway answered ${res.status} with non-JSON`);
  }
  if (!res.ok) {
    const err = (body as { error?: { code?: string; message?: string; hint?: string } } | undefined)?.error;
    const e = new ApiError(
      res.status,
      err?.code ?? "HTTP_ERROR",
      err?.message ?? `HTTP ${res.status}`,
      err?.hint,
    );
    if (res.status === 401) for (const l of authListeners) l({ wrong: key !== null, message: e.message });
    throw e;
  }
  return body as T;
}

export function jobQuery(params: Record<string, string | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v) q.set(k, v);
  const s = q.toString();
  return s === "" ? "" : `?${s}`;
}
