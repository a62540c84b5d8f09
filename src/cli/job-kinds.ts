import { JobTopics } from "../core/subjects.js";
/** `cortex submit <kind>` names → topics. Anything with a dot is taken as a topic as is. */
export const JOB_KINDS: Record<string, string> = {
  echo: JobTopics.echo,
  chat: JobTopics.chatSimple,
  "chat-simple": JobTopics.chatSimple,
  "chat-advanced": JobTopics.chatAdvanced,
};

export function topicForKind(kind: string): string | undefined {
  if (kind.includes(".")) return kind;
  return JOB_KINDS[kind];
}
