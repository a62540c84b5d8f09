import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  configPaths,
  loadConfig,
  loadPoolsFile,
  loadSafetyFile,
  loadTimeoutsFile,
  packageRoot,
} from "../../../src/config/index.js";
import { evaluatePolicy } from "../../../src/core/policy.js";

const root = packageRoot();

describe("shipped config files", () => {
  it("resolve to the package's own config/ directory when no override is set", () => {
    expect(configPaths({})).toEqual({
      pools: join(root, "config", "pools.yaml"),
      timeouts: join(root, "config", "timeouts.yaml"),
      safety: join(root, "config", "safety.yaml"),
    });
  });

  it("pools.yaml holds the default routing and no pool settings", () => {
    expect(loadPoolsFile(join(root, "config", "pools.yaml"))).toEqual({
      topics: {
        "job.echo": "echo",
        "job.chat.simple": "chat-simple",
        "job.chat.advanced": "chat-advanced",
        "job.code.llm": "code-llm",
        "job.workflow.plan": "workflow",
        "job.workflow.demo": "workflow",
      },
    });
  });

  it("timeouts.yaml holds the default deadlines and retries", () => {
    expect(loadTimeoutsFile(join(root, "config", "timeouts.yaml"))).toEqual({
      workflows: {
        code_review_demo: { child_timeout_seconds: 180, total_timeout_seconds: 600, max_retries: 1 },
      },
      topics: {
        "job.echo": { timeout_seconds: 30, max_retries: 2 },
        "job.chat.simple": { timeout_seconds: 60, max_retries: 2 },
        "job.code.llm": { timeout_seconds: 120, max_retries: 1 },
        "job.workflow.demo": { workflow: "code_review_demo" },
        "job.workflow.plan": { timeout_seconds: 120 },
      },
      reconciler: { dispatch_timeout_seconds: 120, running_timeout_seconds: 300, scan_interval_seconds: 30 },
    });
  });

  it("safety.yaml allows by default and denies sys.destroy", () => {
    expect(loadSafetyFile(join(root, "config", "safety.yaml"))).toEqual({
      default_tenant: "default",
      default_effect: "allow",
      rules: [
        {
          id: "deny-sys-destroy",
          effect: "deny",
          topics: ["sys.destroy"],
          reason: "sys.destroy is forbidden by policy",
        },
      ],
    });
  });

  it("safety.yaml feeds the policy evaluator as is: sys.destroy denied, everything else allowed", () => {
    const safety = loadSafetyFile(join(root, "config", "safety.yaml"));
    expect(evaluatePolicy(safety, { topic: "sys.destroy" })).toMatchObject({
      decision: "DENY",
      reason: "sys.destroy is forbidden by policy",
    });
    expect(evaluatePolicy(safety, { topic: "job.echo" }).decision).toBe("ALLOW");
  });

  it("loadConfig with an empty environment returns all three files, default env and their paths", () => {
    const config = loadConfig({ env: {} });
    expect(config.paths).toEqual(configPaths({}));
    expect(config.pools.topics["job.echo"]).toBe("echo");
    expect(config.timeouts.reconciler.running_timeout_seconds).toBe(300);
    expect(config.safety.rules).toHaveLength(1);
    expect(config.env.CORTEX_GRPC_PORT).toBe(8080);
  });
});
