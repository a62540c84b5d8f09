/**
 * A minimal OTLP/HTTP JSON traces receiver on 127.0.0.1, and the span-tree helpers the
 * tracing tests assert with: find a job's spans by name, walk parents, check the
 * submit → admit → dispatch → run → finish chain of one job.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { expect } from "vitest";

interface OtlpValue {
  stringValue?: string;
  intValue?: string | number;
}
type OtlpAttributes = { key: string; value: OtlpValue }[];
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  attributes?: OtlpAttributes;
}
interface OtlpTraces {
  resourceSpans?: { resource?: { attributes?: OtlpAttributes }; scopeSpans?: { spans?: OtlpSpan[] }[] }[];
}

/** A received span: hex ids, its process's service.name, attributes as strings. */
export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  /** "" for a root span. */
  parentSpanId: string;
  name: string;
  service: string;
  attrs: Record<string, string>;
}

export interface OtlpReceiver {
  /** OTLP base URL, for OTEL_EXPORTER_OTLP_ENDPOINT. */
  url: string;
  /** Every span received so far, in arrival order. */
  spans: ReceivedSpan[];
  /** The spans of one trace. */
  ofTrace(traceId: string): ReceivedSpan[];
  /** Waits (bounded) until `done` holds for the trace's spans; returns them either way. */
  waitForTrace(
    traceId: string,
    done: (spans: ReceivedSpan[]) => boolean,
    timeoutMs?: number,
  ): Promise<ReceivedSpan[]>;
  stop(): Promise<void>;
}

/** OTLP JSON ids are hex; accept base64 too (the protobuf JSON mapping). */
function hex(id: string | undefined): string {
  if (!id) return "";
  return /^[0-9a-f]+$/.test(id) ? id : Buffer.from(id, "base64").toString("hex");
}

function attrMap(list: OtlpAttributes | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const a of list ?? []) out[a.key] = String(a.value.stringValue ?? a.value.intValue ?? "");
  return out;
}

function collect(doc: OtlpTraces, into: ReceivedSpan[]): void {
  for (const rs of doc.resourceSpans ?? []) {
    const service = attrMap(rs.resource?.attributes)["service.name"] ?? "";
    for (const ss of rs.scopeSpans ?? [])
      for (const s of ss.spans ?? [])
        into.push({
          traceId: hex(s.traceId),
          spanId: hex(s.spanId),
          parentSpanId: hex(s.parentSpanId),
          name: s.name,
          service,
          attrs: attrMap(s.attributes),
        });
  }
}

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = [];
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (d) => {
      body += String(d);
    });
    req.on("end", () => {
      if (req.method === "POST" && req.url === "/v1/traces") collect(JSON.parse(body) as OtlpTraces, spans);
      res.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const ofTrace = (traceId: string) => spans.filter((s) => s.traceId === traceId);
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    spans,
    ofTrace,
    async waitForTrace(traceId, done, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline && !done(ofTrace(traceId))) await sleep(100);
      return ofTrace(traceId);
    },
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The ids of the jobs a trace's spans belong to (cortex.job.id). */
export function jobIdsOf(spans: readonly ReceivedSpan[]): Set<string> {
  return new Set(spans.map((s) => s.attrs["cortex.job.id"]).filter((id): id is string => !!id));
}

/** Every job of the trace has its finish span: the trace is complete. */
export function everyJobFinished(spans: readonly ReceivedSpan[], atLeast = 1): boolean {
  const jobs = jobIdsOf(spans);
  const finished = new Set(spans.filter((s) => s.name === "finish").map((s) => s.attrs["cortex.job.id"]));
  return jobs.size >= atLeast && [...jobs].every((id) => finished.has(id));
}

export interface JobChain {
  submit: ReceivedSpan;
  admit: ReceivedSpan;
  dispatch: ReceivedSpan;
  run: ReceivedSpan;
  finish: ReceivedSpan;
}

/** Which process (service.name) recorded each span of a job's chain. */
export function servicesOf(chain: JobChain): Record<keyof JobChain, string> {
  const { submit, admit, dispatch, run, finish } = chain;
  return {
    submit: submit.service,
    admit: admit.service,
    dispatch: dispatch.service,
    run: run.service,
    finish: finish.service,
  };
}

/** One trace's spans by id and by job. */
export class SpanTree {
  private readonly byId: Map<string, ReceivedSpan>;

  constructor(readonly spans: readonly ReceivedSpan[]) {
    this.byId = new Map(spans.map((s) => [s.spanId, s]));
  }

  parentOf(span: ReceivedSpan): ReceivedSpan | undefined {
    return this.byId.get(span.parentSpanId);
  }

  /** The one span `name` of job `jobId`; fails the test when there is none or several. */
  one(name: string, jobId: string): ReceivedSpan {
    const found = this.spans.filter((s) => s.name === name && s.attrs["cortex.job.id"] === jobId);
    expect(found, `${name} span of ${jobId}`).toHaveLength(1);
    return found[0] as ReceivedSpan;
  }

  named(name: string): ReceivedSpan[] {
    return this.spans.filter((s) => s.name === name);
  }

  services(): Set<string> {
    return new Set(this.spans.map((s) => s.service));
  }

  /**
   * The job's submit (a child of `parentSpanId`: the caller's span, or the workflow's run span
   * for a child job) → admit → dispatch → run → finish, each the parent of the next.
   */
  expectJobChain(jobId: string, parentSpanId: string): JobChain {
    const chain: JobChain = {
      submit: this.one("submit", jobId),
      admit: this.one("admit", jobId),
      dispatch: this.one("dispatch", jobId),
      run: this.one("run", jobId),
      finish: this.one("finish", jobId),
    };
    expect(chain.submit.parentSpanId, `submit of ${jobId}`).toBe(parentSpanId);
    expect(chain.admit.parentSpanId, `admit of ${jobId}`).toBe(chain.submit.spanId);
    expect(chain.dispatch.parentSpanId, `dispatch of ${jobId}`).toBe(chain.admit.spanId);
    expect(chain.run.parentSpanId, `run of ${jobId}`).toBe(chain.dispatch.spanId);
    expect(chain.finish.parentSpanId, `finish of ${jobId}`).toBe(chain.run.spanId);
    return chain;
  }
}
