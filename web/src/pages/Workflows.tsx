/** Workflows: the workflow jobs (job.workflow.demo), newest first; rows follow the stream. */
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { Link } from "wouter";
import { api, jobQuery } from "../api";
import { ago } from "../format";
import { useStreamEvents } from "../stream";
import type { JobsPage } from "../types";

export const WORKFLOW_TOPIC = "job.workflow.demo";

export function WorkflowsPage() {
  const queries = useQueryClient();
  const key = ["jobs", "workflows"];
  const list = useQuery({
    queryKey: key,
    queryFn: () => api<JobsPage>(`/jobs${jobQuery({ topic: WORKFLOW_TOPIC, limit: "50" })}`),
  });
  useStreamEvents((ev, replay) => {
    if (replay || ev.topic !== WORKFLOW_TOPIC || (ev.kind !== "state" && ev.kind !== "submitted")) return;
    void queries.invalidateQueries({ queryKey: key });
  });
  const rows = list.data?.jobs ?? [];
  return (
    <section aria-labelledby="wf-title">
      <h1 id="wf-title">Workflows</h1>
      {list.error ? (
        <p className="error" role="alert">
          {list.error.message}
        </p>
      ) : null}
      <table className="grid">
        <thead>
          <tr>
            <th scope="col">Workflow</th>
            <th scope="col">State</th>
            <th scope="col">Tenant</th>
            <th scope="col">Created</th>
            <th scope="col">Updated</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((j) => (
            <tr key={j.job_id} data-workflow-id={j.job_id}>
              <td>
                <Link href={`/workflows/${encodeURIComponent(j.job_id)}`}>
                  <code>{j.job_id}</code>
                </Link>
              </td>
              <td>
                <span className={`state state-${j.state}`} data-testid="workflow-state">
                  {j.state}
                </span>
              </td>
              <td>{j.tenant}</td>
              <td>{ago(j.created_at_ms)}</td>
              <td>{ago(j.updated_at_ms)}</td>
            </tr>
          ))}
          {rows.length === 0 && !list.isPending ? (
            <tr>
              <td colSpan={5}>
                No workflows yet. Start one with{" "}
                <code>cortex submit code-review -file F -instruction "…"</code>.
              </td>
            </tr>
          ) : null}
        </tbody>
      </table>
    </section>
  );
}
