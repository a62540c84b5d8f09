/**
 * OpenTelemetry across the split stack (nats backend): `cortex daemon --only
 * safety,scheduler,gateway` and one `cortex worker start` per kind a code-review workflow
 * needs, each exporting to an OTLP HTTP receiver this test runs on 127.0.0.1. A workflow
 * submitted over HTTP with a traceparent is one trace, the caller's: the workflow's submit →
 * admit → dispatch → run, and each child's spans below the workflow's run span, from several
 * processes (service.name).
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { credentials, Metadata } from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { GatewayClient } from "../../src/client/gateway-client.js";
import { CortexApiClient, SubmitJobRequest, type SubmitJobResponse } from "../../src/gen/cortex/v1/api.js";
import { onNats } from "../support/backend.js";
import { type CliProcess, spawnCli } from "../support/cli.js";
import { waitForReady, waitForWorkers } from "../support/daemon-wait.js";
import { httpJson } from "../support/http-api.js";
import { type ModelRequest, type OllamaFixture, startOllamaFixture } from "../support/ollama-fixture.js";
import { startTestStack, type TestStack } from "../support/stack.js";

const TIMEOUTS = `workflows:
  code_review_demo:
    child_timeout_seconds: 30
    total_timeout_seconds: 90
    max_retries: 0
topics:
  job.workflow.demo:
    workflow: code_review_demo
  job.workflow.plan:
    timeout_seconds: 30
  job.code.llm:
    timeout_seconds: 30
  job.chat.advanced:
    timeout_seconds: 30
reconciler:
  dispatch_timeout_seconds: 30
  running_timeout_seconds: 60
  scan_interval_seconds: 5
`;

const PLAN = {
  steps: [
    { id: "patch", topic: "job.code.llm", depends_on: [], input: {} },
    { id: "explain", topic: "job.chat.advanced", depends_on: ["patch"], input: { prompt: "Explain" } },
  ],
};

function answer(req: ModelRequest): string {
  const props = (req.format as { properties?: Record<string, unknown> } | null)?.properties ?? {};
  if ("steps" in props) return JSON.stringify(PLAN);
  if ("revised_code" in props)
    return JSON.stringify({ revised_code: "def add(a: int, b: int) -> int:\n    return a + b\n" });
  return "Adds type hints.";
}

const TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";
const CALLER_SPAN = "00f067aa0ba902b7";
const KINDS = ["orchestrator", "planner", "code-llm", "chat-advanced"];

interface OtlpValue {
  stringValue?: string;
  intValue?: string | number;
}
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  attributes?: { key: string; value: OtlpValue }[];
}
interface Received extends OtlpSpan {
  service: string;
  attrs: Record<string, string>;
}

/** OTLP JSON ids are hex; accept base64 too (the protobuf JSON mapping). */
function hex(id: string | undefined): string {
  if (!id) return "";
  return /^[0-9a-f]+$/.test(id) ? id : Buffer.from(id, "base64").toString("hex");
}

function attrMap(list: OtlpSpan["attributes"]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const a of list ?? []) out[a.key] = String(a.value.stringValue ?? a.value.intValue ?? "");
  return out;
}

/** A minimal OTLP/HTTP JSON traces receiver. */
async function startReceiver(): Promise<{ url: string; spans: Received[]; server: Server }> {
  const spans: Received[] = [];
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (d) => {
      body += String(d);
    });
    req.on("end", () => {
      if (req.method === "POST" && req.url === "/v1/traces") {
        const doc = JSON.parse(body) as {
          resourceSpans?: {
            resource?: { attributes?: OtlpSpan["attributes"] };
            scopeSpans?: { spans?: OtlpSpan[] }[];
          }[];
        };
        for (const rs of doc.resourceSpans ?? []) {
          const service = attrMap(rs.resource?.attributes)["service.name"] ?? "";
          for (const ss of rs.scopeSpans ?? [])
            for (const s of ss.spans ?? [])
              spans.push({
                ...s,
                traceId: hex(s.traceId),
                spanId: hex(s.spanId),
                parentSpanId: hex(s.parentSpanId),
                service,
                attrs: attrMap(s.attributes),
              });
        }
      }
      res.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, spans, server };
}

describe.runIf(onNats())("OpenTelemetry traces across the split stack", () => {
  let stack: TestStack;
  let fixture: OllamaFixture;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let client: GatewayClient;
  const procs: CliProcess[] = [];

  beforeAll(async () => {
    receiver = await startReceiver();
    fixture = await startOllamaFixture();
    await fixture.setBehaviour({ answer });
    stack = await startTestStack({
      backend: "nats",
      timeoutsYaml: TIMEOUTS,
      extraEnv: {
        OLLAMA_URL: fixture.url,
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_BSP_SCHEDULE_DELAY: "200",
      },
    });
    client = stack.client();
    const daemon = spawnCli(["daemon", "--only", "safety,scheduler,gateway"], stack.env);
    procs.push(daemon);
    await waitForReady(client, daemon, 30_000);
    for (const kind of KINDS) procs.push(spawnCli(["worker", "start", kind], stack.env));
    for (const pool of ["workflow", "code-llm", "chat-advanced"])
      await waitForWorkers(client, pool, 1, 30_000);
  }, 90_000);

  afterAll(async () => {
    for (const p of procs) p.child.kill("SIGKILL");
    await stack?.stop();
    await fixture?.stop();
    await new Promise((resolve) => receiver?.server.close(resolve));
  });

  it("a code-review workflow is one trace, the caller's, its children under the workflow's run span", async () => {
    const sub = await httpJson<{ job_id: string; trace_id: string }>(
      `http://127.0.0.1:${stack.env.CORTEX_HTTP_PORT}/api/v1/jobs`,
      {
        headers: { traceparent: `00-${TRACE_ID}-${CALLER_SPAN}-01` },
        body: {
          topic: "job.workflow.demo",
          context: {
            file_path: "calc.py",
            code_snippet: "def add(a, b):\n    return a + b\n",
            instruction: "add type hints",
          },
        },
      },
    );
    expect(sub.status, JSON.stringify(sub.body)).toBe(201);
    expect(sub.body.trace_id).toBe(TRACE_ID);
    const workflowId = sub.body.job_id;

    // The workflow ends, then its spans reach the receiver (batched every 200 ms).
    const deadline = Date.now() + 90_000;
    let state = "";
    while (Date.now() < deadline) {
      state = (await client.getJobStatus(workflowId)).status;
      if (["SUCCEEDED", "FAILED", "TIMEOUT", "DENIED", "CANCELLED"].includes(state)) break;
      await sleep(200);
    }
    expect(state).toBe("SUCCEEDED");
    const ofTrace = () => receiver.spans.filter((s) => s.traceId === TRACE_ID);
    const childRuns = () =>
      ofTrace().filter((s) => s.name === "run" && s.attrs["cortex.job.id"] !== workflowId);
    const waitUntil = Date.now() + 15_000;
    while (
      Date.now() < waitUntil &&
      (childRuns().length < 3 ||
        !ofTrace().some((s) => s.name === "finish" && s.attrs["cortex.job.id"] === workflowId))
    )
      await sleep(200);

    const spans = ofTrace();
    const byId = new Map(spans.map((s) => [s.spanId, s]));
    const parentOf = (s: Received): Received | undefined => byId.get(s.parentSpanId ?? "");
    const one = (name: string, jobId: string): Received => {
      const found = spans.filter((s) => s.name === name && s.attrs["cortex.job.id"] === jobId);
      expect(found, `${name} span of ${jobId}`).toHaveLength(1);
      return found[0] as Received;
    };

    // The workflow: submit (a child of the caller's span) → admit → dispatch → run → finish.
    const submit = one("submit", workflowId);
    expect(submit.parentSpanId).toBe(CALLER_SPAN);
    const admit = one("admit", workflowId);
    expect(admit.parentSpanId).toBe(submit.spanId);
    expect(admit.attrs["cortex.policy.decision"]).toBe("ALLOW");
    expect(admit.attrs).toHaveProperty("cortex.policy.rule_id");
    const dispatch = one("dispatch", workflowId);
    expect(dispatch.parentSpanId).toBe(admit.spanId);
    const run = one("run", workflowId);
    expect(run.parentSpanId).toBe(dispatch.spanId);
    expect(run.attrs).toMatchObject({
      "cortex.job.topic": "job.workflow.demo",
      "cortex.job.attempt": "1",
      "cortex.job.outcome": "completed",
    });
    expect(run.attrs["cortex.worker.id"]).not.toBe("");
    expect(parentOf(one("finish", workflowId))?.spanId).toBe(run.spanId);

    // Every child (planner, patch, explain) runs under the workflow's run span.
    const runs = childRuns();
    expect(runs.map((s) => s.attrs["cortex.job.topic"]).sort()).toEqual([
      "job.chat.advanced",
      "job.code.llm",
      "job.workflow.plan",
    ]);
    for (const child of runs) {
      const chain: string[] = [];
      let at: Received | undefined = child;
      while (at && at.spanId !== run.spanId) {
        chain.push(at.name);
        at = parentOf(at);
      }
      expect(at?.spanId, `child ${child.attrs["cortex.job.id"]} under the workflow's run`).toBe(run.spanId);
      expect(chain).toEqual(["run", "dispatch", "admit", "submit"]);
    }

    // Spans from the daemon and from each worker process.
    const services = new Set(spans.map((s) => s.service));
    expect(services).toContain("cortex-safety-scheduler-gateway");
    for (const kind of KINDS) expect(services).toContain(`cortex-worker-${kind}`);
  }, 150_000);

  it("a traceparent in SubmitJob's gRPC metadata is adopted too", async () => {
    const traceId = "0af7651916cd43dd8448eb211c80319c";
    const callerSpan = "b7ad6b7169203331";
    const raw = new CortexApiClient(`127.0.0.1:${stack.env.CORTEX_GRPC_PORT}`, credentials.createInsecure());
    const md = new Metadata();
    md.set("traceparent", `00-${traceId}-${callerSpan}-01`);
    const req = SubmitJobRequest.fromPartial({
      topic: "job.code.llm",
      contextJson: JSON.stringify({
        file_path: "a.py",
        code_snippet: "def f(x):\n    return x\n",
        instruction: "hints",
      }),
    });
    const res = await new Promise<SubmitJobResponse>((resolve, reject) =>
      raw.submitJob(req, md, (err, out) => (err || !out ? reject(err) : resolve(out))),
    );
    raw.close();
    expect(res.traceId).toBe(traceId);
    const spansOf = () => receiver.spans.filter((s) => s.traceId === traceId);
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline && !spansOf().some((s) => s.name === "finish")) await sleep(200);
    const spans = spansOf();
    const named = (name: string) =>
      spans.find((s) => s.name === name && s.attrs["cortex.job.id"] === res.jobId);
    expect(named("submit")?.parentSpanId).toBe(callerSpan);
    expect(named("admit")?.parentSpanId).toBe(named("submit")?.spanId);
    expect(named("dispatch")?.parentSpanId).toBe(named("admit")?.spanId);
    expect(named("run")?.parentSpanId).toBe(named("dispatch")?.spanId);
    expect(named("run")?.service).toBe("cortex-worker-code-llm");
    expect(named("finish")?.parentSpanId).toBe(named("run")?.spanId);
  }, 60_000);
});
