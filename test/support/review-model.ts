/**
 * What the Ollama fixture answers in a code-review workflow: the planner's plan, code-llm's
 * revision and the explanation. Tests pick the texts; the routing by request shape lives here once.
 */
import type { ModelRequest } from "./ollama-fixture.js";

/** The code-review shape: a patch, then an explanation of it. */
export const REVIEW_PLAN = {
  steps: [
    { id: "patch", topic: "job.code.llm", depends_on: [], input: {} },
    {
      id: "explain",
      topic: "job.chat.advanced",
      depends_on: ["patch"],
      input: { prompt: "Explain:\n{{steps.patch.patch.content}}" },
    },
  ],
};

export interface ReviewAnswers {
  revised: string;
  /** The explain step's answer (and any other chat's, unless `chat` is given). */
  explanation: string;
  plan?: unknown;
  /** Chats that are not the explain step (its prompt starts with "Explain:"). */
  chat?: string;
}

export function reviewAnswer(a: ReviewAnswers): (req: ModelRequest) => string {
  return (req) => {
    const props = (req.format as { properties?: Record<string, unknown> } | null)?.properties ?? {};
    if ("steps" in props) return JSON.stringify(a.plan ?? REVIEW_PLAN);
    if ("revised_code" in props) return JSON.stringify({ revised_code: a.revised });
    if (a.chat !== undefined && !req.prompt.startsWith("Explain:")) return a.chat;
    return a.explanation;
  };
}

/** timeouts.yaml for a code-review workflow test: generous child and total limits, one attempt each. */
export function reviewTimeouts(chat: { timeoutSeconds?: number; maxRetries?: number } = {}): string {
  const retries = chat.maxRetries === undefined ? "" : `\n    max_retries: ${chat.maxRetries}`;
  return `workflows:
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
    timeout_seconds: ${chat.timeoutSeconds ?? 30}${retries}
reconciler:
  dispatch_timeout_seconds: 30
  running_timeout_seconds: 60
  scan_interval_seconds: 5
`;
}
