import { describe, expect, it } from "vitest";
import { isValidJobId } from "../../../src/core/ids.js";
import {
  checkPlan,
  DEFAULT_EXPLAIN_TOPIC,
  defaultPlan,
  type PlanCheck,
  type PlanProblemCode,
  parseStepJobId,
  planJsonSchema,
  plannerJobId,
  resolveTemplates,
  stepJobId,
  stepsInCycles,
  templateReferences,
} from "../../../src/core/plan.js";

const ALLOWED = ["job.code.llm", "job.chat.advanced", "job.chat.simple", "job.echo"];
const rules = { allowedTopics: ALLOWED, isRoutable: (t: string) => t !== "job.chat.simple" };

const step = (
  id: string,
  topic = "job.echo",
  depends_on: string[] = [],
  input: Record<string, unknown> = {},
) => ({
  id,
  topic,
  depends_on,
  input,
});

function codes(check: PlanCheck): PlanProblemCode[] {
  return check.ok ? [] : check.problems.map((p) => p.code);
}

describe("checkPlan", () => {
  it("accepts a DAG of allowed, routable topics and fills defaults", () => {
    const check = checkPlan({ steps: [{ id: "a", topic: "job.echo" }, step("b", "job.echo", ["a"])] }, rules);
    expect(check).toEqual({
      ok: true,
      plan: { steps: [step("a"), step("b", "job.echo", ["a"])] },
    });
  });

  it("drops unknown keys a model adds", () => {
    const check = checkPlan({ steps: [{ ...step("a"), description: "why" }], reasoning: "..." }, rules);
    expect(check.ok && check.plan).toEqual({ steps: [step("a")] });
  });

  it("rejects a topic outside the allow-list, naming the step", () => {
    const check = checkPlan({ steps: [step("a"), step("boom", "sys.destroy")] }, rules);
    expect(check.ok).toBe(false);
    if (check.ok) return;
    expect(check.problems).toEqual([expect.objectContaining({ code: "topic_not_allowed", step: "boom" })]);
    expect(check.problems[0]?.message).toContain("sys.destroy");
  });

  it("allow-list entries may be patterns", () => {
    expect(checkPlan({ steps: [step("a", "job.chat.advanced")] }, { allowedTopics: ["job.chat.*"] }).ok).toBe(
      true,
    );
    expect(
      codes(checkPlan({ steps: [step("a", "job.code.llm")] }, { allowedTopics: ["job.chat.*"] })),
    ).toEqual(["topic_not_allowed"]);
  });

  it("rejects an allowed topic no pool serves", () => {
    expect(codes(checkPlan({ steps: [step("a", "job.chat.simple")] }, rules))).toEqual([
      "topic_not_routable",
    ]);
  });

  it("rejects duplicate ids and unknown dependencies", () => {
    const check = checkPlan({ steps: [step("a"), step("a"), step("b", "job.echo", ["nope"])] }, rules);
    expect(codes(check)).toEqual(["duplicate_step", "unknown_dependency"]);
  });

  it("rejects a cycle and names the steps on it", () => {
    const check = checkPlan(
      {
        steps: [
          step("a", "job.echo", ["c"]),
          step("b", "job.echo", ["a"]),
          step("c", "job.echo", ["b"]),
          step("d"),
        ],
      },
      rules,
    );
    expect(codes(check)).toEqual(["cycle"]);
    if (!check.ok) expect(check.problems[0]?.message).toContain('"a", "b", "c"');
  });

  it("rejects a step depending on itself", () => {
    expect(codes(checkPlan({ steps: [step("a", "job.echo", ["a"])] }, rules))).toEqual(["cycle"]);
  });

  it("rejects bad shapes: no steps, bad ids, too many steps, not an object", () => {
    expect(codes(checkPlan({ steps: [] }, rules))).toEqual(["invalid_shape"]);
    expect(codes(checkPlan({ steps: [step("has space")] }, rules))).toEqual(["invalid_shape"]);
    expect(codes(checkPlan({ steps: [step("x".repeat(33))] }, rules))).toEqual(["invalid_shape"]);
    const many = Array.from({ length: 17 }, (_, i) => step(`s${i}`));
    expect(codes(checkPlan({ steps: many }, rules))).toEqual(["invalid_shape"]);
    expect(codes(checkPlan("make a plan", rules))).toEqual(["invalid_shape"]);
    expect(codes(checkPlan({ steps: [{ id: "a" }] }, rules))).toEqual(["invalid_shape"]);
  });

  it("references must be to the workflow or to a dependency", () => {
    const ok = step("b", "job.echo", ["a"], { prompt: "{{workflow.instruction}} {{steps.a.response}}" });
    expect(checkPlan({ steps: [step("a"), ok] }, rules).ok).toBe(true);
    const notDep = step("b", "job.echo", [], { prompt: "{{steps.a.response}}" });
    expect(codes(checkPlan({ steps: [step("a"), notDep] }, rules))).toEqual(["bad_reference"]);
    const junk = step("b", "job.echo", [], { nested: ["{{env.HOME}}"] });
    expect(codes(checkPlan({ steps: [junk] }, rules))).toEqual(["bad_reference"]);
  });

  it("the default plan is valid: patch, then explain depending on it", () => {
    const plan = defaultPlan();
    expect(plan.steps.map((s) => [s.id, s.topic, s.depends_on])).toEqual([
      ["patch", "job.code.llm", []],
      ["explain", DEFAULT_EXPLAIN_TOPIC, ["patch"]],
    ]);
    expect(checkPlan(plan, rules).ok).toBe(true);
    expect(defaultPlan("job.chat.simple").steps[1]?.topic).toBe("job.chat.simple");
  });
});

describe("stepsInCycles", () => {
  it("is empty for a DAG, including diamonds", () => {
    const plan = {
      steps: [step("a"), step("b", "t", ["a"]), step("c", "t", ["a"]), step("d", "t", ["b", "c"])],
    };
    expect(stepsInCycles(plan)).toEqual([]);
  });
});

describe("templates", () => {
  const scope = {
    workflow: { instruction: "add types", file_path: "a.ts" },
    steps: { patch: { patch: { type: "unified_diff", content: "--- a\n+++ b" } } },
  };

  it("lists references inside nested values", () => {
    expect(
      templateReferences({ a: ["x {{ workflow.file_path }}"], b: { c: "{{steps.patch.patch}}" } }),
    ).toEqual(["workflow.file_path", "steps.patch.patch"]);
  });

  it("splices text and keeps whole-string references as values", () => {
    expect(
      resolveTemplates(
        {
          prompt: "Explain {{workflow.file_path}}:\n{{steps.patch.patch.content}}",
          patch: "{{steps.patch.patch}}",
          missing: "[{{steps.patch.nope}}]",
          n: 3,
        },
        scope,
      ),
    ).toEqual({
      prompt: "Explain a.ts:\n--- a\n+++ b",
      patch: { type: "unified_diff", content: "--- a\n+++ b" },
      missing: "[]",
      n: 3,
    });
  });

  it("does not follow inherited properties", () => {
    expect(resolveTemplates("{{workflow.constructor}}", scope)).toBeUndefined();
  });
});

describe("child job ids", () => {
  const parent = "0b7d4a4e-2a0e-4f57-9a83-0d1c9b7e9a11";

  it("are deterministic, valid job ids that parse back", () => {
    const id = stepJobId(parent, "explain-2", 3);
    expect(id).toBe(`${parent}-s-explain-2-3`);
    expect(isValidJobId(id)).toBe(true);
    expect(parseStepJobId(parent, id)).toEqual({ stepId: "explain-2", attempt: 3 });
    expect(parseStepJobId(parent, plannerJobId(parent, 1))).toBeUndefined();
    expect(parseStepJobId("other", id)).toBeUndefined();
  });

  it("stay within 128 characters for long parent ids", () => {
    const long = "p".repeat(128);
    const id = stepJobId(long, "x".repeat(32), 10);
    expect(id.length).toBeLessThanOrEqual(128);
    expect(isValidJobId(id)).toBe(true);
    expect(parseStepJobId(long, id)).toEqual({ stepId: "x".repeat(32), attempt: 10 });
  });
});

describe("planJsonSchema", () => {
  it("restricts topics to the allow-list", () => {
    const schema = planJsonSchema(ALLOWED) as {
      properties: { steps: { items: { properties: { topic: unknown } } } };
    };
    expect(schema.properties.steps.items.properties.topic).toEqual({ type: "string", enum: ALLOWED });
  });
});
