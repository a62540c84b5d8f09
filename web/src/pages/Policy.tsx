/** The safety policy in force (read-only) and "would this be allowed?" through the explain call. */
import { useMutation, useQuery } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { api, jobQuery } from "../api";
import type { Policy, PolicyExplanation } from "../types";

const list = (xs: readonly string[] | undefined, none: string) => (xs?.length ? xs.join(", ") : none);

export function PolicyPage() {
  const policy = useQuery({ queryKey: ["policy"], queryFn: () => api<Policy>("/policy") });
  const [topic, setTopic] = useState("");
  const [tenant, setTenant] = useState("");
  const explain = useMutation({
    mutationFn: (q: { topic: string; tenant: string }) =>
      api<PolicyExplanation>(`/policy/explain${jobQuery(q)}`),
  });
  const check = (e: FormEvent) => {
    e.preventDefault();
    if (topic.trim() !== "") explain.mutate({ topic: topic.trim(), tenant: tenant.trim() });
  };
  const e = explain.data;
  const decided = e?.checked.findIndex((c) => c.matched) ?? -1;
  return (
    <section aria-labelledby="policy-title">
      <h1 id="policy-title">Policy</h1>
      {policy.error ? (
        <p className="error" role="alert">
          {policy.error.message}
        </p>
      ) : null}
      {policy.data ? (
        <p>
          Default effect <strong data-testid="default-effect">{policy.data.default_effect}</strong>, default
          tenant <code>{policy.data.default_tenant}</code>. The first rule that matches decides.
        </p>
      ) : null}
      <table className="grid" data-testid="rules">
        <thead>
          <tr>
            <th scope="col">Rule</th>
            <th scope="col">Effect</th>
            <th scope="col">Topics</th>
            <th scope="col">Tenants</th>
            <th scope="col">Approvers</th>
            <th scope="col">Expiry</th>
            <th scope="col">Reason</th>
          </tr>
        </thead>
        <tbody>
          {(policy.data?.rules ?? []).map((r) => (
            <tr key={r.id} data-rule-id={r.id}>
              <td>
                <code>{r.id}</code>
              </td>
              <td>
                <span className={`effect effect-${r.effect}`}>{r.effect}</span>
              </td>
              <td>{list(r.topics, "—")}</td>
              <td>{list(r.tenants, "any")}</td>
              <td>{r.effect === "require_approval" ? list(r.approvers, "tenant or admin") : "—"}</td>
              <td>{r.effect === "require_approval" ? String(r.expires_after ?? "24h") : "—"}</td>
              <td>{r.reason ?? ""}</td>
            </tr>
          ))}
          {policy.data && policy.data.rules.length === 0 ? (
            <tr>
              <td colSpan={7}>No rules: the default effect decides every job.</td>
            </tr>
          ) : null}
        </tbody>
      </table>

      <h2 id="check-title">Would this be allowed?</h2>
      <form className="filters" aria-labelledby="check-title" onSubmit={check}>
        <label>
          Topic
          <input
            value={topic}
            onChange={(ev) => setTopic(ev.target.value)}
            placeholder="job.deploy.prod"
            required
          />
        </label>
        <label>
          Tenant
          <input value={tenant} onChange={(ev) => setTenant(ev.target.value)} placeholder="default" />
        </label>
        <button type="submit" disabled={explain.isPending}>
          Check
        </button>
      </form>
      {explain.error ? (
        <p className="error" role="alert">
          {explain.error.message}
        </p>
      ) : null}
      {e ? (
        <div className="card" data-testid="explanation" aria-live="polite">
          <p>
            <code>{e.topic}</code> for tenant <code>{e.tenant}</code>:{" "}
            <strong className={`effect effect-${e.effect}`} data-testid="explain-effect">
              {e.effect}
            </strong>{" "}
            {e.default_applied ? (
              "(no rule matched: the default effect)"
            ) : (
              <>
                by rule <code data-testid="explain-rule">{e.rule_id}</code>
              </>
            )}
          </p>
          {e.reason ? <p>{e.reason}</p> : null}
          {e.approvers?.length || e.expires_after_ms ? (
            <p>
              Approvers: {list(e.approvers, "the job's tenant or an admin key")}; expires after{" "}
              {Math.round((e.expires_after_ms ?? 0) / 60_000)} min.
            </p>
          ) : null}
          <table className="grid compact">
            <caption>Rules checked, in order</caption>
            <thead>
              <tr>
                <th scope="col">Rule</th>
                <th scope="col">Effect</th>
                <th scope="col">Matched</th>
                <th scope="col">Why</th>
              </tr>
            </thead>
            <tbody>
              {e.checked.map((c, i) => (
                <tr key={c.rule_id} className={i === decided ? "selected" : undefined}>
                  <td>
                    <code>{c.rule_id}</code>
                  </td>
                  <td>{c.effect}</td>
                  <td>{c.matched ? "yes" : "no"}</td>
                  <td>{c.why}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </section>
  );
}
