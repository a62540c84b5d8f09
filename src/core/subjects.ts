/** Every bus subject and stream name, in one place. */
export const Subjects = {
  jobSubmit: "sys.job.submit",
  jobResult: "sys.job.result",
  jobCancel: "sys.job.cancel",
  jobDlq: "sys.job.dlq",
  jobEvent: "sys.job.event",
  jobProgress: "sys.job.progress",
  heartbeatPrefix: "sys.heartbeat",
  heartbeatAll: "sys.heartbeat.>",
  auditAll: "sys.audit.>",
  jobTopicsAll: "job.>",
} as const;

/** The job topics cortex's own workers serve; pools.yaml routes each to a pool. */
export const JobTopics = {
  echo: "job.echo",
  chatSimple: "job.chat.simple",
  chatAdvanced: "job.chat.advanced",
  codeLlm: "job.code.llm",
  workflowDemo: "job.workflow.demo",
  workflowPlan: "job.workflow.plan",
} as const;

export type JobTopic = (typeof JobTopics)[keyof typeof JobTopics];

export function heartbeatSubject(pool: string): string {
  return `${Subjects.heartbeatPrefix}.${pool}`;
}

export function auditSubject(kind: string): string {
  return `sys.audit.${kind}`;
}

/** JetStream streams the design provisions. Names are valid on nats-server 2.9. */
export const Streams = {
  /** sys.job.submit: gateway -> scheduler (work queue). */
  submit: "CORTEX_SUBMIT",
  /** sys.job.result: workers -> scheduler (work queue). */
  result: "CORTEX_RESULT",
  /** job.>: scheduler -> workers, one consumer per topic (work queue). */
  jobs: "CORTEX_JOBS",
} as const;

/** A job topic: dot-separated tokens of [A-Za-z0-9_-], no wildcards, 1..255 chars. */
const TOPIC_RE = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;

export function isValidTopic(topic: string): boolean {
  return topic.length > 0 && topic.length <= 255 && TOPIC_RE.test(topic);
}

/** Durable consumer name for a topic's work queue (consumer names cannot contain dots). */
export function topicConsumerName(topic: string): string {
  return `w_${topic.replace(/[^A-Za-z0-9_-]/g, "_")}`;
}
