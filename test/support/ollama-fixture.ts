/**
 * A small Ollama-compatible HTTP server for tests (Ollama itself cannot run here). It
 * speaks the real endpoints — /api/tags, /api/chat, /api/generate (NDJSON streaming and
 * single answers, `format` honoured), /api/pull (streamed progress), /api/version — so
 * production code talks to it exactly as to Ollama. Tests script its behaviour with
 * setBehaviour() and inspect what it saw (requests, abortedRequests()).
 *
 * Models: chat/generate for a model not in `models` answer 404 like Ollama ("model … not
 * found"); a pull succeeds for names in `registry` (and adds them to `models`) and fails
 * for others with Ollama's 500 `{"error":"pull model manifest: file does not exist"}`.
 */
import { createHash } from "node:crypto";
import { EventEmitter } from "node:events";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { freePort } from "./free-port.js";

export interface FixtureRequest {
  method: string;
  path: string;
  /** The JSON body (undefined when there was none or it was not JSON). */
  body: Record<string, unknown> | undefined;
}

/** What a model request asked, as an `answer` function sees it. */
export interface ModelRequest {
  path: "/api/chat" | "/api/generate";
  model: string;
  /** Chat messages; for /api/generate one user message holding the prompt. */
  messages: { role: string; content: string }[];
  /** The last user message (or the prompt). */
  prompt: string;
  format: unknown;
  stream: boolean;
}

export interface FixtureBehaviour {
  /** The answer text, or a function of the request. Default "Hello from the Ollama fixture." */
  answer?: string | ((req: ModelRequest) => string);
  /** Delay per streamed token (per progress line for pulls); a single answer waits the sum. */
  slowMsPerToken?: number;
  /** The next n model requests (chat/generate) answer 503; later ones succeed. */
  fail503Times?: number;
  /** Stop listening and drop open connections (connection refused); false listens again. */
  refuse?: boolean;
  /** Answer 200 with a body that is not valid JSON (streamed: one good token, then garbage). */
  malformed?: boolean;
  /** Answer with n tokens ("tok0 tok1 …") instead of `answer`. */
  veryLong?: number;
  /** Every chat/generate answers 404 "model not found", whatever `models` holds. */
  modelMissing?: boolean;
}

export interface OllamaFixture {
  url: string;
  port: number;
  /** Every request, in arrival order. */
  requests: FixtureRequest[];
  /** Responses whose socket closed before the answer was finished (the client aborted). */
  abortedRequests(): number;
  /** Resolves once abortedRequests() >= count; rejects after timeoutMs. */
  waitForAborted(count?: number, timeoutMs?: number): Promise<void>;
  /** Replaces the whole behaviour (unset fields take their defaults). Await it when toggling `refuse`. */
  setBehaviour(b: FixtureBehaviour): Promise<void>;
  /** Models the server "has" (/api/tags); mutable, and a successful pull adds to it. */
  models: string[];
  stop(): Promise<void>;
}

export interface OllamaFixtureOptions {
  models?: string[];
  /** Names a pull can find. Default: llama3, llama3.2, qwen2.5-coder:1.5b, phi3, tinyllama. */
  registry?: string[];
  behaviour?: FixtureBehaviour;
}

export const DEFAULT_FIXTURE_ANSWER = "Hello from the Ollama fixture.";

const withTag = (name: string) => (name.lastIndexOf(":") > name.lastIndexOf("/") ? name : `${name}:latest`);

/** Words with their trailing space, so the tokens join back to the exact text. */
export function tokensOf(text: string): string[] {
  return text.match(/\s*\S+\s*/g) ?? (text === "" ? [] : [text]);
}

/** A JSON answer for a `format` request whose scripted text is not JSON itself. */
function jsonAnswer(format: unknown, text: string): string {
  try {
    JSON.parse(text);
    return text;
  } catch {
    // fall through: shape the text to the schema
  }
  const props = (format as { properties?: Record<string, { type?: unknown }> } | null)?.properties;
  if (typeof format !== "object" || props === undefined) return JSON.stringify({ response: text });
  const value: Record<string, unknown> = {};
  for (const [key, schema] of Object.entries(props)) {
    const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
    value[key] =
      type === "number" || type === "integer"
        ? 0
        : type === "boolean"
          ? true
          : type === "array"
            ? []
            : type === "object"
              ? {}
              : text;
  }
  return JSON.stringify(value);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let data = "";
    req.setEncoding("utf8");
    req.on("data", (c: string) => {
      data += c;
    });
    req.on("end", () => resolve(data));
    req.on("error", reject);
  });
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(body),
  });
  res.end(body);
}

const nowIso = () => new Date().toISOString();
const digestOf = (s: string) => `sha256:${createHash("sha256").update(s).digest("hex")}`;

export async function startOllamaFixture(opts: OllamaFixtureOptions = {}): Promise<OllamaFixture> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const models = [...(opts.models ?? ["llama3:latest"])];
  const registry = opts.registry ?? ["llama3", "llama3.2", "qwen2.5-coder:1.5b", "phi3", "tinyllama"];
  const requests: FixtureRequest[] = [];
  const sockets = new Set<Socket>();
  const events = new EventEmitter();
  let behaviour: FixtureBehaviour = {};
  let failuresLeft = 0;
  let aborted = 0;
  let server: Server | undefined;

  /** Waits between tokens; resolves false when the client went away meanwhile. */
  async function pace(res: ServerResponse, ms: number): Promise<boolean> {
    if (ms <= 0 || res.destroyed) return !res.destroyed;
    // a client that hangs up ends the wait, so no timer outlives its request
    const hangUp = new AbortController();
    const onClose = () => hangUp.abort();
    res.once("close", onClose);
    try {
      await sleep(ms, undefined, { signal: hangUp.signal });
    } catch {
      // the client went away
    } finally {
      res.off("close", onClose);
    }
    return !res.destroyed;
  }

  function writeLine(res: ServerResponse, value: unknown): void {
    res.write(`${JSON.stringify(value)}\n`);
  }

  async function handleModel(
    path: "/api/chat" | "/api/generate",
    body: Record<string, unknown>,
    res: ServerResponse,
  ) {
    const model = typeof body.model === "string" ? body.model : "";
    const stream = body.stream !== false; // Ollama streams unless told not to
    if (behaviour.modelMissing || !models.some((m) => withTag(m) === withTag(model))) {
      sendJson(res, 404, { error: `model "${model}" not found, try pulling it first` });
      return;
    }
    if (failuresLeft > 0) {
      failuresLeft--;
      sendJson(res, 503, { error: "server busy, please try again.  maximum pending requests exceeded" });
      return;
    }
    const messages =
      path === "/api/chat"
        ? ((Array.isArray(body.messages) ? body.messages : []) as { role: string; content: string }[])
        : [{ role: "user", content: String(body.prompt ?? "") }];
    const prompt = [...messages].reverse().find((m) => m.role === "user")?.content ?? "";
    const request: ModelRequest = { path, model, messages, prompt, format: body.format, stream };
    let text =
      behaviour.veryLong !== undefined
        ? Array.from({ length: behaviour.veryLong }, (_, i) => `tok${i}`).join(" ")
        : typeof behaviour.answer === "function"
          ? behaviour.answer(request)
          : (behaviour.answer ?? DEFAULT_FIXTURE_ANSWER);
    if (body.format !== undefined && body.format !== "") text = jsonAnswer(body.format, text);
    const tokens = tokensOf(text);
    const perToken = behaviour.slowMsPerToken ?? 0;
    const piece = (content: string) =>
      path === "/api/chat" ? { message: { role: "assistant", content } } : { response: content };
    const started = process.hrtime.bigint();
    const final = () => ({
      model,
      created_at: nowIso(),
      ...piece(""),
      done: true,
      done_reason: "stop",
      total_duration: Number(process.hrtime.bigint() - started) + 1,
      load_duration: 1,
      prompt_eval_count: tokensOf(messages.map((m) => m.content).join(" ")).length,
      prompt_eval_duration: 1,
      eval_count: tokens.length,
      eval_duration: 1,
    });

    if (!stream) {
      if (!(await pace(res, perToken * tokens.length))) return;
      if (behaviour.malformed) {
        res.writeHead(200, { "content-type": "application/json; charset=utf-8" });
        res.end(`{"model":"${model}","message":{"role":"assistant","content":"trunc`);
        return;
      }
      sendJson(res, 200, { ...final(), ...piece(text) });
      return;
    }
    res.writeHead(200, { "content-type": "application/x-ndjson" });
    for (const [i, token] of tokens.entries()) {
      if (i > 0 && !(await pace(res, perToken))) return;
      writeLine(res, { model, created_at: nowIso(), ...piece(token), done: false });
      if (behaviour.malformed) {
        res.end("this is not json\n");
        return;
      }
    }
    if (!(await pace(res, perToken))) return;
    writeLine(res, final());
    res.end();
  }

  async function handlePull(body: Record<string, unknown>, res: ServerResponse) {
    const model = String(body.model ?? body.name ?? "");
    const stream = body.stream !== false;
    if (!registry.some((m) => withTag(m) === withTag(model))) {
      sendJson(res, 500, { error: "pull model manifest: file does not exist" });
      return;
    }
    const perLine = behaviour.slowMsPerToken ?? 0;
    const layers = [
      { digest: digestOf(`${model}/weights`), total: 4_000_000 },
      { digest: digestOf(`${model}/template`), total: 1_200 },
    ];
    const lines: Record<string, unknown>[] = [{ status: "pulling manifest" }];
    for (const layer of layers) {
      const status = `pulling ${layer.digest.slice(7, 19)}`;
      for (const part of [0, 1, 2, 3, 4]) {
        lines.push({ status, digest: layer.digest, total: layer.total, completed: (layer.total * part) / 4 });
      }
    }
    lines.push({ status: "verifying sha256 digest" }, { status: "writing manifest" }, { status: "success" });
    if (!stream) {
      if (!(await pace(res, perLine * lines.length))) return;
      if (!models.some((m) => withTag(m) === withTag(model))) models.push(withTag(model));
      sendJson(res, 200, { status: "success" });
      return;
    }
    res.writeHead(200, { "content-type": "application/x-ndjson" });
    for (const [i, line] of lines.entries()) {
      if (i > 0 && !(await pace(res, perLine))) return;
      if (line.status === "success" && !models.some((m) => withTag(m) === withTag(model))) {
        models.push(withTag(model));
      }
      writeLine(res, line);
    }
    res.end();
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    res.on("close", () => {
      if (!res.writableFinished) {
        aborted++;
        events.emit("aborted");
      }
    });
    const path = new URL(req.url ?? "/", url).pathname;
    const raw = await readBody(req);
    let body: Record<string, unknown> | undefined;
    try {
      const parsed: unknown = raw === "" ? undefined : JSON.parse(raw);
      if (typeof parsed === "object" && parsed !== null) body = parsed as Record<string, unknown>;
    } catch {
      body = undefined;
    }
    requests.push({ method: req.method ?? "GET", path, body });
    const post = req.method === "POST";
    if (path === "/api/version") return sendJson(res, 200, { version: "0.6.0" });
    if (path === "/api/tags") {
      return sendJson(res, 200, {
        models: models.map((name) => ({
          name,
          model: name,
          modified_at: nowIso(),
          size: 4_000_000,
          digest: digestOf(name).slice(7),
          details: { format: "gguf", family: "llama", parameter_size: "8B", quantization_level: "Q4_0" },
        })),
      });
    }
    if (
      post &&
      (path === "/api/chat" || path === "/api/generate" || path === "/api/pull") &&
      body === undefined
    ) {
      return sendJson(res, 400, { error: "invalid request body" });
    }
    if (post && (path === "/api/chat" || path === "/api/generate")) return handleModel(path, body ?? {}, res);
    if (post && path === "/api/pull") return handlePull(body ?? {}, res);
    res.writeHead(404, { "content-type": "text/plain" });
    res.end("404 page not found");
  }

  async function listen(): Promise<void> {
    const srv = createServer((req, res) => {
      handle(req, res).catch((err: unknown) => {
        if (!res.headersSent) sendJson(res, 500, { error: String(err) });
        else res.destroy();
      });
    });
    srv.on("connection", (socket) => {
      sockets.add(socket);
      socket.on("close", () => sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      srv.once("error", reject);
      srv.listen(port, "127.0.0.1", () => resolve());
    });
    server = srv;
  }

  async function close(): Promise<void> {
    const srv = server;
    server = undefined;
    if (!srv) return;
    const closed = new Promise<void>((resolve) => srv.close(() => resolve()));
    for (const socket of sockets) socket.destroy();
    await closed;
  }

  async function setBehaviour(b: FixtureBehaviour): Promise<void> {
    behaviour = { ...b };
    failuresLeft = b.fail503Times ?? 0;
    if (b.refuse === true) await close();
    else if (server === undefined) await listen();
  }

  await setBehaviour(opts.behaviour ?? {});

  return {
    url,
    port,
    requests,
    models,
    abortedRequests: () => aborted,
    waitForAborted(count = 1, timeoutMs = 5_000) {
      if (aborted >= count) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          events.off("aborted", check);
          reject(
            new Error(`fixture saw ${aborted} aborted requests, expected ${count}, within ${timeoutMs} ms`),
          );
        }, timeoutMs);
        function check() {
          if (aborted < count) return;
          clearTimeout(timer);
          events.off("aborted", check);
          resolve();
        }
        events.on("aborted", check);
      });
    },
    setBehaviour,
    stop: close,
  };
}
