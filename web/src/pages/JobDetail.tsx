/** One job: timeline, context, result (a patch as a diff), events, live progress, Cancel. */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Link } from "wouter";
import { api } from "../api";
import { Diff } from "../components/Diff";
import { time } from "../format";
import { useStreamEvents } from "../stream";
import { isTerminal, type Job, type JobDetail, type Json } from "../types";

const TIMELINE: [keyof Job, string][] = [
  ["created_at_ms", "created"],
  ["scheduled_at_ms", "scheduled"],
  ["dispatched_at_ms", "dispatched"],
  ["started_at_ms", "started"],
  ["finished_at_ms", "finished"],
];

export function patchOf(result: Json | undefined): string | undefined {
  if (typeof result !== "object" || result === null || Array.isArray(result)) return undefined;
  const patch = result.patch;
  if (typeof patch !== "object" || patch === null || Array.isArray(patch)) return undefined;
  return typeof patch.content === "string" ? patch.content : undefined;
}

export function JobDetailPage({ id }: { id: string }) {
  const queries = useQueryClient();
  const key = ["job", id];
  const detail = useQuery({
    queryKey: key,
    queryFn: () => api<JobDetail>(`/jobs/${encodeURIComponent(id)}?include_context=true`),
  });
  const [tokens, setTokens] = useState("");
  useStreamEvents(
    (ev, replay) => {
      if (ev.job_id !== id || replay) return;
      if ((ev.kind === "progress" || ev.kind === "token") && ev.text) setTokens((t) => t + ev.text);
      else void queries.invalidateQueries({ queryKey: key });
    },
    [id],
  );
  const cancel = useMutation({
    mutationFn: () =>
      api(`/jobs/${encodeURIComponent(id)}/cancel`, {
        method: "POST",
        body: { reason: "cancelled from the dashboard" },
      }),
    onSettled: () => queries.invalidateQueries({ queryKey: key }),
  });

  if (detail.error)
    return (
      <section>
        <h1>Job {id}</h1>
        <p className="error" role="alert">
          {detail.error.message}
        </p>
      </section>
    );
  const job = detail.data?.job;
  const patch = patchOf(detail.data?.result);
  return (
    <section aria-labelledby="job-title">
      <p>
        <Link href="/jobs">← Jobs</Link>
      </p>
      <h1 id="job-title">
        Job <code>{id}</code>{" "}
        <span className={`state state-${job?.state}`} data-testid="detail-state">
          {job?.state}
        </span>
      </h1>
      {job && !isTerminal(job.state) ? (
        <button type="button" className="danger" disabled={cancel.isPending} onClick={() => cancel.mutate()}>
          Cancel job
        </button>
      ) : null}
      {cancel.error ? (
        <p className="error" role="alert">
          {cancel.error.message}
        </p>
      ) : null}
      {job ? (
        <dl className="facts">
          <dt>Topic</dt>
          <dd>{job.topic}</dd>
          <dt>Tenant</dt>
          <dd>{job.tenant}</dd>
          <dt>Attempts</dt>
          <dd>{job.attempts ?? 0}</dd>
          <dt>Worker</dt>
          <dd>{job.worker_id ?? "—"}</dd>
          <dt>Trace</dt>
          <dd>
            <code>{job.trace_id}</code>
          </dd>
          {job.reason ? (
            <>
              <dt>Reason</dt>
              <dd>{job.reason}</dd>
            </>
          ) : null}
          {job.waiting_reason ? (
            <>
              <dt>Waiting</dt>
              <dd>{job.waiting_reason}</dd>
            </>
          ) : null}
          {job.approval ? (
            <>
              <dt>Approval</dt>
              <dd data-testid="approval">
                rule <code>{job.approval.rule_id}</code>
                {job.approval.decision
                  ? `: ${job.approval.decision} by ${job.approval.decided_by || "expiry"}${job.approval.decision_reason ? ` (${job.approval.decision_reason})` : ""}`
                  : null}
                {job.state === "AWAITING_APPROVAL" ? (
                  <>
                    {" "}
                    — <Link href="/approvals">decide on Approvals</Link>
                  </>
                ) : null}
              </dd>
            </>
          ) : null}
        </dl>
      ) : null}
      <h2>Timeline</h2>
      <ol className="timeline">
        {TIMELINE.filter(([k]) => job?.[k]).map(([k, label]) => {
          const at = job?.[k] as number;
          const since = at - (job?.created_at_ms ?? at);
          return (
            <li key={k}>
              <strong>{label}</strong> {time(at)}
              {since > 0 ? <span className="muted"> (+{since} ms)</span> : null}
            </li>
          );
        })}
      </ol>
      {tokens ? (
        <>
          <h2>Live progress</h2>
          <pre className="tokens" aria-live="polite" data-testid="tokens">
            {tokens}
          </pre>
        </>
      ) : null}
      <h2>Result</h2>
      {patch ? <Diff text={patch} /> : null}
      {detail.data?.result !== undefined ? (
        <pre className="json" data-testid="result">
          {JSON.stringify(detail.data.result, null, 2)}
        </pre>
      ) : (
        <p>No result yet.</p>
      )}
      <h2>Context</h2>
      <pre className="json">{JSON.stringify(detail.data?.context ?? null, null, 2)}</pre>
      <h2>Events</h2>
      <table className="grid">
        <thead>
          <tr>
            <th scope="col">At</th>
            <th scope="col">Kind</th>
            <th scope="col">Change</th>
            <th scope="col">Detail</th>
          </tr>
        </thead>
        <tbody>
          {(detail.data?.events ?? []).map((e) => (
            <tr key={`${e.seq}-${e.at_ms}-${e.kind}`}>
              <td>{time(e.at_ms)}</td>
              <td>{e.kind}</td>
              <td>{e.from || e.to ? `${e.from ?? ""} → ${e.to ?? ""}` : ""}</td>
              <td>{e.reason ?? e.worker_id ?? ""}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
