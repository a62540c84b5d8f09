/** Jobs: filters, id-prefix search, cursor pages; rows follow the stream's state events. */
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef, useState } from "react";
import { useLocation, useSearch } from "wouter";
import { api, jobQuery } from "../api";
import { ago } from "../format";
import { useStreamEvents } from "../stream";
import { JOB_STATES, type JobsPage as Page } from "../types";

const PAGE_SIZE = 25;

export function JobsPage() {
  const initial = new URLSearchParams(useSearch());
  const [state, setState] = useState(initial.get("state") ?? "");
  const [topic, setTopic] = useState("");
  const [tenant, setTenant] = useState("");
  const [prefix, setPrefix] = useState("");
  const [cursors, setCursors] = useState<string[]>([""]);
  const [selected, setSelected] = useState(0);
  const search = useRef<HTMLInputElement>(null);
  const rows = useRef<HTMLTableSectionElement>(null);
  const [, navigate] = useLocation();
  const queries = useQueryClient();
  const cursor = cursors[cursors.length - 1] ?? "";
  const key = ["jobs", state, topic, tenant, prefix, cursor];
  const jobs = useQuery({
    queryKey: key,
    queryFn: () =>
      api<Page>(
        `/jobs${jobQuery({ state, topic, tenant, id_prefix: prefix, cursor, limit: String(PAGE_SIZE) })}`,
      ),
  });

  // A new filter starts from the first page.
  // biome-ignore lint/correctness/useExhaustiveDependencies: reset on any filter change
  useEffect(() => {
    setCursors([""]);
    setSelected(0);
  }, [state, topic, tenant, prefix]);

  useStreamEvents(
    (ev, replay) => {
      if (replay || !ev.job_id || (ev.kind !== "state" && ev.kind !== "submitted")) return;
      const listed = jobs.data?.jobs.some((j) => j.job_id === ev.job_id);
      if (listed && ev.kind === "state" && !state) {
        queries.setQueryData<Page>(key, (page) =>
          page
            ? {
                ...page,
                jobs: page.jobs.map((j) =>
                  j.job_id === ev.job_id ? { ...j, state: ev.to, updated_at_ms: ev.at_ms } : j,
                ),
              }
            : page,
        );
      } else if (listed || cursor === "") {
        // A new job (first page) or one leaving a state filter: the server decides the rows.
        void queries.invalidateQueries({ queryKey: ["jobs"] });
      }
    },
    [jobs.data, state, cursor, ...key],
  );

  const list = jobs.data?.jobs ?? [];
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const target = e.target as HTMLElement | null;
      const typing = target && (target.tagName === "INPUT" || target.tagName === "SELECT");
      if (e.key === "/" && !typing) {
        e.preventDefault();
        search.current?.focus();
        return;
      }
      if (typing || e.metaKey || e.ctrlKey || e.altKey) return;
      if (e.key === "j") setSelected((s) => Math.min(s + 1, Math.max(0, list.length - 1)));
      else if (e.key === "k") setSelected((s) => Math.max(0, s - 1));
      else if (e.key === "Enter" && list[selected])
        navigate(`/jobs/${encodeURIComponent(list[selected].job_id)}`);
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [list, selected, navigate]);

  useEffect(() => {
    const row = rows.current?.querySelector<HTMLElement>(`[data-index="${selected}"] a`);
    if (row && document.activeElement?.tagName !== "INPUT") row.focus();
  }, [selected]);

  return (
    <section aria-labelledby="jobs-title">
      <h1 id="jobs-title">Jobs</h1>
      <form className="filters" onSubmit={(e) => e.preventDefault()}>
        <label>
          Search id
          <input
            ref={search}
            type="search"
            placeholder="id prefix (press /)"
            value={prefix}
            onChange={(e) => setPrefix(e.target.value.trim())}
            onKeyDown={(e) => {
              // Chrome's Escape would also clear a search box: keep the filter, just leave it.
              if (e.key === "Escape") {
                e.preventDefault();
                e.currentTarget.blur();
              }
            }}
          />
        </label>
        <label>
          State
          <select value={state} onChange={(e) => setState(e.target.value)}>
            <option value="">any</option>
            {JOB_STATES.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </label>
        <label>
          Topic
          <input value={topic} onChange={(e) => setTopic(e.target.value.trim())} placeholder="job.echo" />
        </label>
        <label>
          Tenant
          <input value={tenant} onChange={(e) => setTenant(e.target.value.trim())} placeholder="default" />
        </label>
      </form>
      {jobs.error ? (
        <p className="error" role="alert">
          {jobs.error.message}
        </p>
      ) : null}
      <table className="grid" aria-describedby="jobs-help">
        <caption id="jobs-help">j / k move, Enter opens, / searches, Escape leaves the search</caption>
        <thead>
          <tr>
            <th scope="col">Job</th>
            <th scope="col">State</th>
            <th scope="col">Topic</th>
            <th scope="col">Tenant</th>
            <th scope="col">Attempts</th>
            <th scope="col">Updated</th>
          </tr>
        </thead>
        <tbody ref={rows}>
          {list.map((j, i) => (
            <tr
              key={j.job_id}
              data-index={i}
              data-job-id={j.job_id}
              className={i === selected ? "selected" : undefined}
              aria-selected={i === selected}
            >
              <td>
                <a
                  href={`/jobs/${encodeURIComponent(j.job_id)}`}
                  onClick={(e) => {
                    e.preventDefault();
                    navigate(`/jobs/${encodeURIComponent(j.job_id)}`);
                  }}
                >
                  <code>{j.job_id}</code>
                </a>
              </td>
              <td>
                <span className={`state state-${j.state}`} data-testid="job-state">
                  {j.state}
                </span>
              </td>
              <td>{j.topic}</td>
              <td>{j.tenant}</td>
              <td>{j.attempts ?? 0}</td>
              <td>{ago(j.updated_at_ms)}</td>
            </tr>
          ))}
          {list.length === 0 && !jobs.isPending ? (
            <tr>
              <td colSpan={6}>No jobs match.</td>
            </tr>
          ) : null}
        </tbody>
      </table>
      <nav className="pager" aria-label="Pages">
        <button type="button" disabled={cursors.length < 2} onClick={() => setCursors((c) => c.slice(0, -1))}>
          Previous
        </button>
        <span>Page {cursors.length}</span>
        <button
          type="button"
          disabled={!jobs.data?.next_cursor}
          onClick={() => {
            const next = jobs.data?.next_cursor;
            if (next) setCursors((c) => [...c, next]);
          }}
        >
          Next
        </button>
      </nav>
    </section>
  );
}
