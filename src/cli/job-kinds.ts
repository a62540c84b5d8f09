/** `cortex submit <kind>` names → topics. Anything with a dot is taken as a topic as is. */
export const JOB_KINDS: Record<string, string> = {
  echo: "job.echo",
  chat: "job.chat.simple",
  "chat-simple": "job.chat.simple",
  "chat-advanced": "job.chat.advanced",
};

export function topicForKind(kind: string): string | undefined {
  if (kind.includes(".")) return kind;
  return JOB_KINDS[kind];
}
