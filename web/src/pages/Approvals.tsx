/**
 * Jobs waiting for a human: the rule that holds each, its context, Approve and Reject (a
 * reason, asked in a dialog). The decision carries the content hash shown here, so a job
 * that changed since is refused (APPROVAL_STALE) with the API's message.
 */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useEffect, useRef, useState } from "react";
import { Link } from "wouter";
import { ApiError, api } from "../api";
import { ago, time } from "../format";
import { useStreamEvents } from "../stream";
import type { Job, Json, ApprovalsPage as Page } from "../types";

const HELD = "AWAITING_APPROVAL";

interface Decision {
  job: Job;
  approve: boolean;
  reason: string;
}

function RejectDialog({
  job,
  onReject,
  onClose,
}: {
  job: Job;
  onReject(reason: string): void;
  onClose(): void;
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [reason, setReason] = useState("");
  useEffect(() => {
    dialog.current?.showModal();
  }, []);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (reason.trim() !== "") onReject(reason.trim());
  };
  return (
    <dialog ref={dialog} className="key-prompt" aria-labelledby="reject-title" onClose={onClose}>
      <form onSubmit={submit} className="dialog-form">
        <h2 id="reject-title">
          Reject <code>{job.job_id}</code>
        </h2>
        <label htmlFor="reject-reason">Reason (recorded with the decision)</label>
        <textarea
          id="reject-reason"
          rows={3}
          required
          value={reason}
          onChange={(e) => setReason(e.target.value)}
        />
        <div className="actions">
          <button type="submit" className="danger" disabled={reason.trim() === ""}>
            Reject job
          </button>
          <button type="button" onClick={() => dialog.current?.close()}>
            Keep waiting
          </button>
        </div>
      </form>
    </dialog>
  );
}

export function ApprovalsPage() {
  const queries = useQueryClient();
  const list = useQuery({
    queryKey: ["approvals"],
    queryFn: () => api<Page>("/approvals?limit=100"),
  });
  const [rejecting, setRejecting] = useState<Job | undefined>();
  const [outcome, setOutcome] = useState<{ jobId: string; text: string; error: boolean } | undefined>();

  useStreamEvents((ev, replay) => {
    if (replay || ev.kind !== "state" || (ev.from !== HELD && ev.to !== HELD)) return;
    void queries.invalidateQueries({ queryKey: ["approvals"] });
  });

  const decide = useMutation({
    mutationFn: ({ job, approve, reason }: Decision) =>
      api<{ job?: Job }>(`/jobs/${encodeURIComponent(job.job_id)}/${approve ? "approve" : "reject"}`, {
        method: "POST",
        body: { reason, content_hash: job.approval?.content_hash ?? "" },
      }),
    onSuccess: (res, d) =>
      setOutcome({
        jobId: d.job.job_id,
        text: `${d.approve ? "Approved" : "Rejected"}: now ${res.job?.state ?? "decided"}`,
        error: false,
      }),
    onError: (err, d) =>
      setOutcome({
        jobId: d.job.job_id,
        text:
          err instanceof ApiError
            ? `${err.code}: ${err.message}${err.hint ? ` ${err.hint}` : ""}`
            : String(err),
        error: true,
      }),
    onSettled: (_res, _err, d) =>
      Promise.all([
        queries.invalidateQueries({ queryKey: ["approvals"] }),
        queries.invalidateQueries({ queryKey: ["job", d.job.job_id] }),
      ]),
  });

  const items = list.data?.approvals ?? [];
  return (
    <section aria-labelledby="approvals-title">
      <h1 id="approvals-title">Approvals</h1>
      {list.error ? (
        <p className="error" role="alert">
          {list.error.message}
        </p>
      ) : null}
      {outcome ? (
        <p
          className={outcome.error ? "error" : "notice"}
          role={outcome.error ? "alert" : "status"}
          data-testid="decision-outcome"
        >
          <code>{outcome.jobId}</code> — {outcome.text}
        </p>
      ) : null}
      {items.length === 0 && !list.isPending ? <p>No job is waiting for approval.</p> : null}
      <ul className="approvals">
        {items.map(({ job, context }) =>
          job ? (
            <ApprovalCard
              key={job.job_id}
              job={job}
              context={context}
              busy={decide.isPending}
              onApprove={() => decide.mutate({ job, approve: true, reason: "approved from the dashboard" })}
              onReject={() => setRejecting(job)}
            />
          ) : null,
        )}
      </ul>
      {rejecting ? (
        <RejectDialog
          job={rejecting}
          onClose={() => setRejecting(undefined)}
          onReject={(reason) => {
            decide.mutate({ job: rejecting, approve: false, reason });
            setRejecting(undefined);
          }}
        />
      ) : null}
    </section>
  );
}

function ApprovalCard(props: {
  job: Job;
  context: Json | undefined;
  busy: boolean;
  onApprove(): void;
  onReject(): void;
}) {
  const { job, context } = props;
  const a = job.approval;
  return (
    <li className="card" data-approval-id={job.job_id}>
      <h2>
        <Link href={`/jobs/${encodeURIComponent(job.job_id)}`}>
          <code>{job.job_id}</code>
        </Link>{" "}
        <span className="muted">{job.topic}</span>
      </h2>
      <dl className="facts">
        <dt>Rule</dt>
        <dd data-testid="approval-rule">
          <code>{a?.rule_id}</code>
          {a?.rule_reason ? ` — ${a.rule_reason}` : ""}
        </dd>
        <dt>Tenant</dt>
        <dd>{job.tenant}</dd>
        <dt>Approvers</dt>
        <dd>{a?.approvers?.length ? a.approvers.join(", ") : "the job's tenant or an admin key"}</dd>
        <dt>Requested</dt>
        <dd>{ago(a?.requested_at_ms)}</dd>
        <dt>Expires</dt>
        <dd>{time(a?.expires_at_ms)}</dd>
        <dt>Content hash</dt>
        <dd>
          <code data-testid="content-hash">{a?.content_hash}</code>
        </dd>
        {job.workflow_id ? (
          <>
            <dt>Workflow</dt>
            <dd>
              <Link href={`/workflows/${encodeURIComponent(job.parent_job_id ?? job.workflow_id)}`}>
                step {job.step_index} of <code>{job.workflow_id}</code>
              </Link>
            </dd>
          </>
        ) : null}
      </dl>
      <details>
        <summary>Context</summary>
        <pre className="json">{JSON.stringify(context ?? null, null, 2)}</pre>
      </details>
      <div className="actions">
        <button type="button" disabled={props.busy} onClick={props.onApprove}>
          Approve
        </button>
        <button type="button" className="danger" disabled={props.busy} onClick={props.onReject}>
          Reject…
        </button>
      </div>
    </li>
  );
}
