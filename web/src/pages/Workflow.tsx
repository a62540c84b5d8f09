/**
 * One workflow: its plan (the planner child's, "model" or "default") as a tree of steps by
 * depends_on, each step's child job live with its result, and the patch as a diff.
 */
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Link } from "wouter";
import { api } from "../api";
import { Diff } from "../components/Diff";
import { failureOf, field } from "../format";
import { useStreamEvents } from "../stream";
import type { Job, JobDetail, Json, Trace } from "../types";
import { patchOf } from "./JobDetail";

const PLANNER_TOPIC = "job.workflow.plan";

interface PlanStep {
  id: string;
  topic: string;
  depends_on: string[];
}

function planOf(result: Json | undefined): PlanStep[] | undefined {
  const plan =
    typeof result === "object" && result !== null && !Array.isArray(result) ? result.plan : undefined;
  const steps = typeof plan === "object" && plan !== null && !Array.isArray(plan) ? plan.steps : undefined;
  if (!Array.isArray(steps)) return undefined;
  return steps.flatMap((s) => {
    if (typeof s !== "object" || s === null || Array.isArray(s)) return [];
    const deps = Array.isArray(s.depends_on) ? s.depends_on.filter((d) => typeof d === "string") : [];
    return typeof s.id === "string" && typeof s.topic === "string"
      ? [{ id: s.id, topic: s.topic, depends_on: deps as string[] }]
      : [];
  });
}

/** The steps a finished workflow reported (no depends_on there), when no plan could be read. */
function reportedSteps(result: Json | undefined): PlanStep[] {
  const steps =
    typeof result === "object" && result !== null && !Array.isArray(result) ? result.steps : undefined;
  if (!Array.isArray(steps)) return [];
  return steps.flatMap((s) =>
    typeof s === "object" && s !== null && !Array.isArray(s) && typeof s.id === "string"
      ? [{ id: s.id, topic: String(s.topic ?? ""), depends_on: [] }]
      : [],
  );
}

function depthOf(steps: PlanStep[]): Map<string, number> {
  const depth = new Map<string, number>();
  const byId = new Map(steps.map((s) => [s.id, s]));
  const visit = (id: string, seen: Set<string>): number => {
    const known = depth.get(id);
    if (known !== undefined) return known;
    const step = byId.get(id);
    if (!step || seen.has(id)) return 0;
    seen.add(id);
    const d = step.depends_on.length === 0 ? 0 : 1 + Math.max(...step.depends_on.map((x) => visit(x, seen)));
    depth.set(id, d);
    return d;
  };
  for (const s of steps) visit(s.id, new Set());
  return depth;
}

/** The newest child at a step index (a retried step has one child per attempt). */
function childAt(children: Job[], index: number): Job | undefined {
  return children
    .filter((c) => (c.step_index ?? 0) === index)
    .sort((a, b) => (b.created_at_ms ?? 0) - (a.created_at_ms ?? 0))[0];
}

function useJob(id: string | undefined) {
  return useQuery({
    queryKey: ["job", id],
    queryFn: () => api<JobDetail>(`/jobs/${encodeURIComponent(id ?? "")}?include_context=true`),
    enabled: id !== undefined,
    // Events missed while the page was closed: refetch on opening it, the stream does the rest.
    staleTime: 0,
  });
}

function StepNode({ step, child, depth }: { step: PlanStep; child: Job | undefined; depth: number }) {
  const detail = useJob(child?.job_id);
  const state = detail.data?.job?.state ?? child?.state ?? "WAITING";
  const result = detail.data?.result;
  const response = field(result, "response");
  const failure =
    state === "FAILED" || state === "DENIED" ? failureOf(result, detail.data?.job?.reason) : undefined;
  const approval = detail.data?.job?.approval ?? child?.approval;
  return (
    <li className={`step depth-${Math.min(depth, 5)}`} data-step-id={step.id}>
      <strong>{step.id}</strong> <span className="muted">{step.topic}</span>{" "}
      <span className={`state state-${state}`} data-testid="step-state">
        {state === "AWAITING_APPROVAL" ? "waiting for approval" : state}
      </span>
      {step.depends_on.length > 0 ? <span className="muted"> after {step.depends_on.join(", ")}</span> : null}
      {child ? (
        <>
          {" "}
          <Link href={`/jobs/${encodeURIComponent(child.job_id)}`}>
            <code>{child.job_id}</code>
          </Link>
        </>
      ) : null}
      {state === "AWAITING_APPROVAL" ? (
        <p>
          Held by rule <code>{approval?.rule_id}</code>
          {approval?.rule_reason ? ` (${approval.rule_reason})` : ""}.{" "}
          <Link href="/approvals">Decide on Approvals</Link>
        </p>
      ) : null}
      {failure ? (
        <p className="error" role="alert">
          {failure}
        </p>
      ) : null}
      {response ? <pre className="tokens">{response}</pre> : null}
    </li>
  );
}

export function WorkflowPage({ id }: { id: string }) {
  const queries = useQueryClient();
  const workflow = useQuery({
    queryKey: ["job", id],
    queryFn: () => api<JobDetail>(`/jobs/${encodeURIComponent(id)}?include_context=true`),
    staleTime: 0,
  });
  const traceId = workflow.data?.job?.trace_id;
  const trace = useQuery({
    queryKey: ["trace", traceId],
    queryFn: () => api<Trace>(`/traces/${traceId}`),
    enabled: traceId !== undefined,
    staleTime: 0,
  });
  const [notes, setNotes] = useState("");
  useStreamEvents(
    (ev, replay) => {
      if (replay) return;
      if (ev.job_id === id && ev.kind === "progress" && ev.text) setNotes((n) => n + ev.text);
      if (ev.kind !== "state" && ev.kind !== "submitted") return;
      if (ev.job_id !== id && ev.trace_id !== traceId) return;
      void queries.invalidateQueries({ queryKey: ["job", ev.job_id] });
      void queries.invalidateQueries({ queryKey: ["trace", traceId] });
    },
    [id, traceId],
  );

  const children = (trace.data?.jobs ?? []).filter((j) => j.parent_job_id === id);
  const planner = children
    .filter((c) => c.topic === PLANNER_TOPIC)
    .sort((a, b) => (b.created_at_ms ?? 0) - (a.created_at_ms ?? 0))[0];
  const plan = useJob(planner?.job_id);
  const result = workflow.data?.result;
  const steps = planOf(plan.data?.result) ?? reportedSteps(result);
  const depth = depthOf(steps);
  const source = field(result, "plan_source") ?? field(plan.data?.result, "plan_source");
  const planReason = field(result, "plan_reason") ?? field(plan.data?.result, "plan_reason");
  const patch = patchOf(result);
  const job = workflow.data?.job;
  const failure = job?.state === "FAILED" ? failureOf(result, job.reason) : undefined;

  if (workflow.error)
    return (
      <section>
        <h1>Workflow {id}</h1>
        <p className="error" role="alert">
          {workflow.error.message}
        </p>
      </section>
    );
  return (
    <section aria-labelledby="wf-title">
      <p>
        <Link href="/workflows">← Workflows</Link>
      </p>
      <h1 id="wf-title">
        Workflow <code>{id}</code>{" "}
        <span className={`state state-${job?.state}`} data-testid="workflow-state">
          {job?.state}
        </span>
      </h1>
      <p>
        <Link href={`/jobs/${encodeURIComponent(id)}`}>The workflow job</Link>
      </p>
      {failure ? (
        <p className="error" role="alert">
          {failure}
        </p>
      ) : null}
      <h2>Plan</h2>
      <p data-testid="plan-source">
        {source ? (
          <>
            Source: <strong>{source}</strong>
            {planReason ? <span className="muted"> — {planReason}</span> : null}
          </>
        ) : (
          "Planning…"
        )}
        {planner ? (
          <>
            {" "}
            (planner <Link href={`/jobs/${encodeURIComponent(planner.job_id)}`}>{planner.state}</Link>)
          </>
        ) : null}
      </p>
      <ol className="dag" aria-label="Steps" data-testid="steps">
        {steps.map((s, i) => (
          <StepNode key={s.id} step={s} depth={depth.get(s.id) ?? 0} child={childAt(children, i + 1)} />
        ))}
      </ol>
      {notes ? (
        <>
          <h2>Progress</h2>
          <pre className="tokens" aria-live="polite">
            {notes}
          </pre>
        </>
      ) : null}
      {patch ? (
        <>
          <h2>Patch</h2>
          <Diff text={patch} />
        </>
      ) : null}
      {field(result, "explanation") ? (
        <>
          <h2>Explanation</h2>
          <p>{field(result, "explanation")}</p>
        </>
      ) : null}
      {plan.data?.result !== undefined ? (
        <details>
          <summary>The plan as the planner wrote it</summary>
          <pre className="json">{JSON.stringify(plan.data.result, null, 2)}</pre>
        </details>
      ) : null}
    </section>
  );
}
