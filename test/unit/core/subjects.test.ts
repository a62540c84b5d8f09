import { describe, expect, it } from "vitest";
import {
  auditSubject,
  heartbeatSubject,
  isValidTopic,
  Subjects,
  topicConsumerName,
} from "../../../src/core/subjects.js";

describe("isValidTopic", () => {
  it.each([
    "job.echo",
    "job.chat.simple",
    "job.code.llm",
    "job.workflow.demo",
    "a",
    "A_b-C.d_1",
    "x".repeat(255),
  ])("accepts %s", (t) => {
    expect(isValidTopic(t)).toBe(true);
  });

  it.each([
    "",
    "job..x",
    ".job",
    "job.",
    "job.*",
    "job.>",
    ">",
    "a b",
    "job.echo ",
    "job/echo",
    "jöb.echo",
    "x".repeat(256),
  ])("rejects %j", (t) => {
    expect(isValidTopic(t)).toBe(false);
  });
});

describe("topicConsumerName", () => {
  it.each(["job.echo", "job.chat.simple", "job.code.llm", "job.workflow.plan"])(
    "%s gives a name with no dots or wildcards",
    (topic) => {
      const name = topicConsumerName(topic);
      expect(name).not.toMatch(/[.*> ]/);
      expect(name).toMatch(/^[A-Za-z0-9_-]+$/);
    },
  );

  it("is stable and distinct per topic", () => {
    expect(topicConsumerName("job.echo")).toBe("w_job_echo");
    expect(topicConsumerName("job.echo")).toBe(topicConsumerName("job.echo"));
    expect(topicConsumerName("job.chat.simple")).not.toBe(topicConsumerName("job.chat.advanced"));
  });
});

describe("subject names", () => {
  it("keeps the CortexOS v1 subjects", () => {
    expect(Subjects.jobSubmit).toBe("sys.job.submit");
    expect(Subjects.jobResult).toBe("sys.job.result");
    expect(heartbeatSubject("code-llm")).toBe("sys.heartbeat.code-llm");
    expect(Subjects.heartbeatAll).toBe("sys.heartbeat.>");
  });

  it("builds audit subjects under sys.audit", () => {
    expect(auditSubject("deny")).toBe("sys.audit.deny");
  });
});
