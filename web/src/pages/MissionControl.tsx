/** Mission Control: health, throughput and latency charts, jobs by state, pools, recent denials and failures. */
import { useQuery } from "@tanstack/react-query";
import { useEffect, useMemo, useRef, useState } from "react";
import { Link } from "wouter";
import { api } from "../api";
import { Chart } from "../components/Chart";
import { time } from "../format";
import { LiveMetrics } from "../live-metrics";
import { useStreamEvents, useStreamState } from "../stream";
import { JOB_STATES, type JobEvent, type JobsPage, type Status } from "../types";
import { useWorkers } from "./Workers";

/** The newest jobs counted by state (the API has no count call; a page of them is exact up to this). */
const COUNTED = 1000;
const PROBLEMS = ["FAILED", "DENIED", "TIMEOUT"];

export function MissionControl() {
  const { generation } = useStreamState();
  const status = useQuery({ queryKey: ["status", generation], queryFn: () => api<Status>("/status") });
  const recent = useQuery({
    queryKey: ["jobs-recent", generation],
    queryFn: () => api<JobsPage>(`/jobs?limit=${COUNTED}`),
  });
  const workers = useWorkers();
  const metrics = useRef(new LiveMetrics());
  const [states, setStates] = useState<Map<string, string>>(new Map());
  const [problems, setProblems] = useState<JobEvent[]>([]);
  const [now, setNow] = useState(Date.now());

  useEffect(() => {
    if (!recent.data) return;
    for (const j of recent.data.jobs) metrics.current.noteCreated(j.job_id, j.created_at_ms);
    setStates((prev) => {
      const next = new Map(prev);
      for (const j of recent.data.jobs) if (j.state) next.set(j.job_id, j.state);
      return next;
    });
  }, [recent.data]);

  useStreamEvents((ev, replay) => {
    if (replay) return;
    if (metrics.current.observe(ev)) setNow(Date.now());
    if (ev.kind === "state" && ev.job_id && ev.to) {
      const { job_id, to } = ev;
      setStates((prev) => new Map(prev).set(job_id, to));
    }
    if (ev.kind === "rejected" || (ev.kind === "state" && PROBLEMS.includes(ev.to ?? "")))
      setProblems((p) => [ev, ...p].slice(0, 10));
  });

  // Slides the charts' window; the data itself arrives on the stream.
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 5_000);
    return () => clearInterval(t);
  }, []);

  const series = useMemo(() => metrics.current.series(now), [now]);
  const byState = useMemo(() => {
    const counts = new Map<string, number>();
    for (const s of states.values()) counts.set(s, (counts.get(s) ?? 0) + 1);
    return counts;
  }, [states]);

  return (
    <section aria-labelledby="mc-title">
      <h1 id="mc-title">Mission Control</h1>
      <div className="cards">
        <section className="card" aria-labelledby="health-title">
          <h2 id="health-title">Components</h2>
          {status.error ? (
            <p className="error" role="alert">
              {status.error.message}
            </p>
          ) : null}
          <ul className="health">
            {(status.data?.components ?? []).map((c) => (
              <li key={c.name} data-testid="component">
                <span className={`dot dot-${c.state}`} aria-hidden="true" /> <strong>{c.name}</strong>{" "}
                {c.state}
                {c.detail ? <span className="muted"> — {c.detail}</span> : null}
              </li>
            ))}
          </ul>
          {status.data ? (
            <p className="muted">
              {status.data.backend} backend, version {status.data.version}
            </p>
          ) : null}
        </section>
        <section className="card" aria-labelledby="states-title">
          <h2 id="states-title">Jobs by state</h2>
          <table className="grid compact">
            <tbody>
              {JOB_STATES.filter((s) => byState.has(s)).map((s) => (
                <tr key={s}>
                  <th scope="row">
                    <Link href={`/jobs?state=${s}`}>{s}</Link>
                  </th>
                  <td data-testid={`count-${s}`}>{byState.get(s)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {byState.size === 0 ? <p>No jobs yet.</p> : null}
        </section>
        <section className="card" aria-labelledby="pools-title">
          <h2 id="pools-title">Pools</h2>
          <table className="grid compact">
            <thead>
              <tr>
                <th scope="col">Pool</th>
                <th scope="col">Workers</th>
                <th scope="col">Active / capacity</th>
              </tr>
            </thead>
            <tbody>
              {(workers.data?.pools ?? []).map((p) => (
                <tr key={p.pool}>
                  <td>{p.pool}</td>
                  <td>{p.live_workers ?? 0}</td>
                  <td>
                    {p.active_jobs ?? 0} / {p.capacity ?? 0}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      </div>
      <div className="charts">
        <Chart
          title="Jobs per second"
          unit="jobs/s"
          series={[{ label: "finished", stroke: "#2563eb" }]}
          data={series.rate}
        />
        <Chart
          title="Latency"
          unit="ms"
          series={[
            { label: "p50", stroke: "#059669" },
            { label: "p99", stroke: "#dc2626" },
          ]}
          data={series.latency}
        />
      </div>
      <p className="muted" data-testid="finished-count">
        {metrics.current.total()} jobs finished in the last 5 minutes (from the live stream)
      </p>
      <section aria-labelledby="problems-title">
        <h2 id="problems-title">Recent denials and failures</h2>
        {problems.length === 0 ? <p>None recently.</p> : null}
        <ul className="problems">
          {problems.map((e) => (
            <li key={`${e.seq}-${e.job_id}-${e.at_ms}`}>
              {time(e.at_ms)}{" "}
              <span className={`state state-${e.to ?? "DENIED"}`}>{e.to ?? e.error_code}</span>{" "}
              {e.job_id ? <Link href={`/jobs/${encodeURIComponent(e.job_id)}`}>{e.job_id}</Link> : null}{" "}
              {e.topic} {e.reason ?? e.hint ?? ""}
            </li>
          ))}
        </ul>
      </section>
    </section>
  );
}
