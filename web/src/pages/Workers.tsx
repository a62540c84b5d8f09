/** Workers: each with its pool, capabilities, load, active/max and last heartbeat; joins and leaves live. */
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { api } from "../api";
import { ago } from "../format";
import { useStreamEvents } from "../stream";
import type { Workers } from "../types";

export function useWorkers() {
  const queries = useQueryClient();
  const workers = useQuery({ queryKey: ["workers"], queryFn: () => api<Workers>("/workers") });
  useStreamEvents((ev, replay) => {
    // Joins and leaves change the list; job state changes move active counts.
    if (!replay && (ev.kind === "worker_join" || ev.kind === "worker_leave" || ev.kind === "state"))
      void queries.invalidateQueries({ queryKey: ["workers"] });
  });
  return workers;
}

export function WorkersPage() {
  const workers = useWorkers();
  const list = workers.data?.workers ?? [];
  return (
    <section aria-labelledby="workers-title">
      <h1 id="workers-title">Workers</h1>
      {workers.error ? (
        <p className="error" role="alert">
          {workers.error.message}
        </p>
      ) : null}
      <table className="grid">
        <thead>
          <tr>
            <th scope="col">Worker</th>
            <th scope="col">Pool</th>
            <th scope="col">Capabilities</th>
            <th scope="col">CPU load</th>
            <th scope="col">Active / max</th>
            <th scope="col">Last heartbeat</th>
          </tr>
        </thead>
        <tbody>
          {list.map((w) => (
            <tr key={w.worker_id} data-worker-id={w.worker_id}>
              <td>
                <code>{w.worker_id}</code>
              </td>
              <td>{w.pool}</td>
              <td>{(w.capabilities ?? []).join(", ")}</td>
              <td>{(w.cpu_load ?? 0).toFixed(2)}</td>
              <td>
                {w.active_jobs ?? 0} / {w.max_parallel_jobs ?? "—"}
              </td>
              <td>{ago(w.last_seen_ms)}</td>
            </tr>
          ))}
          {list.length === 0 && !workers.isPending ? (
            <tr>
              <td colSpan={6}>No live workers.</td>
            </tr>
          ) : null}
        </tbody>
      </table>
    </section>
  );
}
