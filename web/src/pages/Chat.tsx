/**
 * Chat with a model through job.chat.advanced: one job per turn, earlier turns sent as its
 * `history`. The answer's tokens stream in over the shared WebSocket; a failed job shows
 * the LLM client's error as it is.
 */
import { useQuery } from "@tanstack/react-query";
import { type FormEvent, useRef, useState } from "react";
import { Link } from "wouter";
import { api } from "../api";
import { failureOf, field, hintOf } from "../format";
import { useStreamEvents } from "../stream";
import { isTerminal, type JobDetail, type Models } from "../types";

const CHAT_TOPIC = "job.chat.advanced";

/** A v4 UUID; crypto.randomUUID exists only in secure contexts, and the gateway may be plain http. */
function newJobId(): string {
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = ((b[6] ?? 0) & 0x0f) | 0x40;
  b[8] = ((b[8] ?? 0) & 0x3f) | 0x80;
  const hex = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

interface Turn {
  role: "user" | "assistant";
  content: string;
  jobId?: string;
  state?: string;
  error?: string;
  hint?: string;
}

export function ChatPage() {
  const models = useQuery({ queryKey: ["models"], queryFn: () => api<Models>("/models"), retry: false });
  const [model, setModel] = useState("");
  const [prompt, setPrompt] = useState("");
  const [turns, setTurns] = useState<Turn[]>([]);
  // Tokens of the turn in flight; the id is chosen here so no early token is missed.
  const pending = useRef<string | undefined>(undefined);

  const update = (jobId: string, change: (t: Turn) => Turn) =>
    setTurns((ts) => ts.map((t) => (t.jobId === jobId ? change(t) : t)));

  const settle = async (jobId: string) => {
    try {
      const d = await api<JobDetail>(`/jobs/${encodeURIComponent(jobId)}`);
      const state = d.job?.state;
      if (!isTerminal(state)) return;
      pending.current = undefined;
      update(jobId, (t) =>
        state === "SUCCEEDED"
          ? { ...t, state, content: field(d.result, "response") ?? t.content }
          : { ...t, state, error: failureOf(d.result, d.job?.reason) ?? state, hint: hintOf(d.result) },
      );
    } catch (err) {
      update(jobId, (t) => ({ ...t, error: err instanceof Error ? err.message : String(err) }));
    }
  };

  useStreamEvents((ev, replay) => {
    const id = pending.current;
    if (replay || !id || ev.job_id !== id) return;
    if (ev.kind === "token" && ev.text) {
      const text = ev.text;
      update(id, (t) => ({ ...t, content: t.content + text }));
    } else if (ev.kind === "state") {
      update(id, (t) => ({ ...t, state: ev.to }));
      if (isTerminal(ev.to)) void settle(id);
    }
  });

  const busy = turns.some((t) => t.role === "assistant" && !isTerminal(t.state) && !t.error);
  const send = async (e: FormEvent) => {
    e.preventDefault();
    const text = prompt.trim();
    if (text === "" || busy) return;
    const history = turns
      .filter((t) => !t.error && t.content !== "")
      .map((t) => ({ role: t.role, content: t.content }));
    const jobId = newJobId();
    pending.current = jobId;
    setPrompt("");
    setTurns((ts) => [
      ...ts,
      { role: "user", content: text },
      { role: "assistant", content: "", jobId, state: "PENDING" },
    ]);
    try {
      await api("/jobs", {
        method: "POST",
        body: {
          topic: CHAT_TOPIC,
          job_id: jobId,
          context: { prompt: text, ...(model ? { model } : {}), ...(history.length ? { history } : {}) },
        },
      });
      // A job that ended before the stream said so (or while it was down) is settled here.
      void settle(jobId);
    } catch (err) {
      pending.current = undefined;
      update(jobId, (t) => ({ ...t, error: err instanceof Error ? err.message : String(err) }));
    }
  };

  return (
    <section aria-labelledby="chat-title">
      <h1 id="chat-title">Chat</h1>
      <form className="filters" onSubmit={(e) => e.preventDefault()}>
        <label>
          Model
          <select value={model} onChange={(e) => setModel(e.target.value)} data-testid="model">
            <option value="">default{models.data ? ` (${models.data.default_model})` : ""}</option>
            {(models.data?.models ?? []).map((m) => (
              <option key={m}>{m}</option>
            ))}
          </select>
        </label>
      </form>
      {models.error ? (
        <p className="error" role="alert" data-testid="models-error">
          Models: {models.error.message}
        </p>
      ) : null}
      <ol className="chat" aria-label="Conversation" aria-live="polite">
        {turns.map((t, i) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: turns are only appended
          <li key={i} className={`turn turn-${t.role}`} data-testid={`turn-${t.role}`}>
            <span className="who">{t.role === "user" ? "You" : "Model"}</span>
            {t.content ? <p className="said">{t.content}</p> : null}
            {t.error ? (
              <p className="error" role="alert" data-testid="chat-error">
                {t.error}
                {t.hint ? <span className="hint"> {t.hint}</span> : null}
              </p>
            ) : null}
            {t.jobId ? (
              <span className="muted">
                <Link href={`/jobs/${encodeURIComponent(t.jobId)}`}>job</Link>{" "}
                <span data-testid="turn-state">{t.state}</span>
              </span>
            ) : null}
          </li>
        ))}
      </ol>
      <form className="chat-input" onSubmit={send}>
        <label htmlFor="chat-prompt">Message</label>
        <textarea
          id="chat-prompt"
          rows={3}
          value={prompt}
          onChange={(e) => setPrompt(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === "Enter" && !e.shiftKey) void send(e);
          }}
        />
        <button type="submit" disabled={busy || prompt.trim() === ""}>
          Send
        </button>
      </form>
    </section>
  );
}
