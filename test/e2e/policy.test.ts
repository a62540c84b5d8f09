/**
 * `cortex policy explain` and `cortex policy test` through the built CLI: explain against a
 * running stack with a custom SAFETY_CONFIG_PATH (embedded; the answer is the same core code on
 * either backend) and offline with --file; policy test passing, catching a wrong expectation,
 * and a bad cases file.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { packageRoot } from "../../src/config/package-root.js";
import { testBackend } from "../support/backend.js";
import { runCli } from "../support/cli.js";
import { freePort } from "../support/free-port.js";
import { startTestStack, type TestStack } from "../support/stack.js";

const EXAMPLES = join(packageRoot(), "examples/policies");
const POLICY = join(EXAMPLES, "safety.yaml");
const CASES = join(EXAMPLES, "policy-tests.yaml");

const baseEnv = (): NodeJS.ProcessEnv => ({ PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: "1" });

// Offline commands and one embedded stack: nothing here depends on the backend, so one project runs it.
describe.runIf(testBackend() === "embedded")("cortex policy", () => {
  const dir = mkdtempSync(join(tmpdir(), "cortex-policy-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  describe("explain against the running stack", () => {
    let stack: TestStack;
    beforeAll(async () => {
      stack = await startTestStack({ backend: "embedded", extraEnv: { SAFETY_CONFIG_PATH: POLICY } });
      const up = await stack.cli(["up", "--json"], 90_000);
      expect(up.code, `${up.stdout}\n${up.stderr}`).toBe(0);
    });
    afterAll(() => stack?.stop());

    it("prints the deciding rule, its approval terms and the rules checked before it", async () => {
      const r = await stack.cli(["policy", "explain", "--topic", "job.deploy.prod", "--tenant", "acme"]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain(
        "job.deploy.prod (tenant acme): require_approval, decided by rule prod-deploys",
      );
      expect(r.stdout).toContain("reason: production deploys need an ops approval");
      expect(r.stdout).toContain("approvers: ops");
      expect(r.stdout).toContain("expires after: 2h");
      expect(r.stdout).toContain(
        "no-destroy (deny): topic job.deploy.prod matches none of [sys.destroy, job.*.destroy]",
      );
    });

    it("answers from the policy in force (its default deny, not the shipped allow), exit 0 on a deny", async () => {
      const r = await stack.cli(["policy", "explain", "--topic", "sys.admin.reset", "--json"]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.json).toMatchObject({
        topic: "sys.admin.reset",
        tenant: "default",
        decision: "DENY",
        effect: "deny",
        default_applied: true,
      });
      expect((r.json as { checked: unknown[] }).checked).toHaveLength(4);
      const text = await stack.cli(["policy", "explain", "--topic", "sys.admin.reset"]);
      expect(text.stdout).toContain("deny, decided by the default effect (no rule matched)");
      expect(text.stdout).toContain("jobs (allow): topic sys.admin.reset matches none of [job.>]");
    });

    it("rejects a bad topic with exit 2 naming the field", async () => {
      const r = await stack.cli(["policy", "explain", "--topic", "not a topic"]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain("topic: ");
    });
  });

  describe("explain --file, offline", () => {
    it("evaluates the file without a stack", async () => {
      const env = { ...baseEnv(), CORTEX_GRPC_PORT: String(await freePort()) };
      const args = ["policy", "explain", "--topic", "job.payment.refund", "--tenant", "acme"];
      const r = await runCli([...args, "--file", POLICY, "--json"], env);
      expect(r.code, r.stderr).toBe(0);
      expect(r.json).toMatchObject({
        decision: "REQUIRE_APPROVAL",
        rule_id: "acme-payments",
        approvers: [],
        expires_after_ms: 86_400_000,
      });
      const down = await runCli(args, env);
      expect(down.code).toBe(3);
      expect(down.stderr).toContain("use --file to check a file without a stack");
    });

    it("names file:line of a bad policy file, exit 2", async () => {
      const bad = join(dir, "bad-safety.yaml");
      writeFileSync(
        bad,
        "default_tenant: default\ndefault_effect: allow\nrules:\n  - id: x\n    effect: maybe\n    topics: [job.>]\n",
      );
      const r = await runCli(["policy", "explain", "--topic", "job.echo", "--file", bad], baseEnv());
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`${bad}:5: rules[0].effect`);
    });
  });

  describe("test", () => {
    it("passes the example cases against the example policy", async () => {
      const r = await runCli(["policy", "test", CASES, "--policy", POLICY], baseEnv());
      expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
      expect(r.stdout).toMatch(/^8 of 8 cases passed/);
    });

    it("catches a wrong expectation: exit 1 and a diff naming the case", async () => {
      const cases = join(dir, "wrong.yaml");
      writeFileSync(
        cases,
        [
          "- topic: job.echo",
          "  expect: allow",
          "- topic: job.deploy.prod",
          "  expect: allow",
          "- topic: sys.destroy",
          "  expect: deny",
          "  rule: jobs",
          "",
        ].join("\n"),
      );
      const r = await runCli(["policy", "test", cases, "--policy", POLICY], baseEnv());
      expect(r.code).toBe(1);
      expect(r.stdout).toContain("-#2 job.deploy.prod default -> allow (any rule)");
      expect(r.stdout).toContain("+#2 job.deploy.prod default -> require_approval (prod-deploys)");
      expect(r.stdout).toContain("-#3 sys.destroy default -> deny (jobs)");
      expect(r.stdout).toContain("+#3 sys.destroy default -> deny (no-destroy)");
      expect(r.stdout).not.toContain("job.echo");
      expect(r.stdout).toContain("2 of 3 cases failed");

      const json = await runCli(["policy", "test", cases, "--policy", POLICY, "--json"], baseEnv());
      expect(json.code).toBe(1);
      expect(json.json).toMatchObject({ passed: 1, failed: 2 });
      expect((json.json as { cases: { passed: boolean }[] }).cases.map((c) => c.passed)).toEqual([
        true,
        false,
        false,
      ]);
    });

    it("uses SAFETY_CONFIG_PATH when --policy is not given", async () => {
      const r = await runCli(["policy", "test", CASES], { ...baseEnv(), SAFETY_CONFIG_PATH: POLICY });
      expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
      // The shipped policy allows by default: the same cases fail against it.
      const shipped = await runCli(["policy", "test", CASES], baseEnv());
      expect(shipped.code).toBe(1);
    });

    it("rejects a bad cases file with file:line, exit 2", async () => {
      const cases = join(dir, "bad.yaml");
      writeFileSync(cases, "- topic: job.echo\n  expect: allow\n- topic: job.deploy.prod\n  expect: maybe\n");
      const r = await runCli(["policy", "test", cases, "--policy", POLICY], baseEnv());
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`${cases}:4: [1].expect`);
    });
  });
});
