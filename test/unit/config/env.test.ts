import { describe, expect, it } from "vitest";
import { loadEnv } from "../../../src/config/index.js";
import { CortexError, ErrorCode } from "../../../src/core/errors.js";

function envError(env: NodeJS.ProcessEnv): CortexError {
  try {
    loadEnv(env);
  } catch (err) {
    expect(err).toBeInstanceOf(CortexError);
    return err as CortexError;
  }
  throw new Error("expected loadEnv to throw");
}

describe("loadEnv", () => {
  it("fills every default from an empty environment", () => {
    expect(loadEnv({ HOME: "/home/ada" })).toEqual({
      CORTEX_BACKEND: "embedded",
      backendSource: "default",
      NATS_URL: "nats://127.0.0.1:4222",
      REDIS_URL: "redis://127.0.0.1:6379",
      OLLAMA_URL: "http://127.0.0.1:11434",
      OLLAMA_MODEL: "llama3",
      SAFETY_KERNEL_ADDR: "127.0.0.1:50051",
      CORTEX_HOME: "/home/ada/.cortex",
      CORTEX_BIND: "127.0.0.1",
      CORTEX_GRPC_PORT: 8080,
      CORTEX_HTTP_PORT: 8081,
      CORTEX_SAFETY_PORT: 50051,
      CORTEX_METRICS_PORT: 9090,
      CORTEX_SCHEDULER_METRICS_PORT: 9090,
      CORTEX_ORCHESTRATOR_METRICS_PORT: 9091,
      CORTEX_GATEWAY_METRICS_PORT: 9092,
      CORTEX_KEY_PREFIX: "",
      CORTEX_RETENTION_SECONDS: 604800,
      CORTEX_LOG_LEVEL: "info",
      CORTEX_LOG_MAX_BYTES: 10 * 1024 * 1024,
      CORTEX_LOG_FILES: 5,
      CORTEX_MAX_CONTEXT_BYTES: 1048576,
      CORTEX_DAEMON_HEAP_MB: 512,
      CORTEX_STREAM_REPLICAS: 1,
      CORTEX_GATEWAY_ADDR: "127.0.0.1:8080",
    });
  });

  it("chooses the backend: CORTEX_BACKEND, else nats when NATS_URL or REDIS_URL is set, else embedded", () => {
    const pick = (env: Record<string, string>) => {
      const { CORTEX_BACKEND, backendSource } = loadEnv(env);
      return [CORTEX_BACKEND, backendSource];
    };
    expect(pick({})).toEqual(["embedded", "default"]);
    expect(pick({ NATS_URL: "nats://127.0.0.1:4222" })).toEqual(["nats", "NATS_URL"]);
    expect(pick({ REDIS_URL: "redis://127.0.0.1:6379" })).toEqual(["nats", "REDIS_URL"]);
    expect(pick({ NATS_URL: "nats://127.0.0.1:4222", CORTEX_BACKEND: "embedded" })).toEqual([
      "embedded",
      "CORTEX_BACKEND",
    ]);
    expect(pick({ CORTEX_BACKEND: "nats" })).toEqual(["nats", "CORTEX_BACKEND"]);
    expect(() => loadEnv({ CORTEX_BACKEND: "sqlite" })).toThrow(/CORTEX_BACKEND/);
  });

  it("reads overrides and derives the local addresses from the ports", () => {
    const env = loadEnv({
      NATS_URL: "nats://10.0.0.5:4222,nats://10.0.0.6:4222",
      REDIS_URL: "rediss://user:pw@redis.internal:6380/2",
      OLLAMA_URL: "https://ollama.internal",
      API_KEY: "s3cret",
      CORTEX_API_KEY: "s3cret",
      CORTEX_HOME: "/var/lib/cortex",
      CORTEX_BIND: "0.0.0.0",
      CORTEX_GRPC_PORT: "0",
      CORTEX_SAFETY_PORT: "65535",
      CORTEX_KEY_PREFIX: "t1:",
      CORTEX_RETENTION_SECONDS: "60",
      CORTEX_LOG_LEVEL: "debug",
      OLLAMA_MODEL: "qwen2.5-coder:1.5b",
    });
    expect(env).toMatchObject({
      NATS_URL: "nats://10.0.0.5:4222,nats://10.0.0.6:4222",
      REDIS_URL: "rediss://user:pw@redis.internal:6380/2",
      API_KEY: "s3cret",
      CORTEX_HOME: "/var/lib/cortex",
      CORTEX_GRPC_PORT: 0,
      CORTEX_SAFETY_PORT: 65535,
      SAFETY_KERNEL_ADDR: "127.0.0.1:65535",
      CORTEX_GATEWAY_ADDR: "127.0.0.1:0",
      CORTEX_KEY_PREFIX: "t1:",
      CORTEX_RETENTION_SECONDS: 60,
      CORTEX_LOG_LEVEL: "debug",
      OLLAMA_MODEL: "qwen2.5-coder:1.5b",
    });
  });

  it("keeps explicit addresses and expands ~ in CORTEX_HOME", () => {
    const env = loadEnv({
      HOME: "/home/ada",
      CORTEX_HOME: "~/stacks/a",
      SAFETY_KERNEL_ADDR: "safety:50051",
      CORTEX_GATEWAY_ADDR: "[::1]:9000",
    });
    expect(env.CORTEX_HOME).toBe("/home/ada/stacks/a");
    expect(env.SAFETY_KERNEL_ADDR).toBe("safety:50051");
    expect(env.CORTEX_GATEWAY_ADDR).toBe("[::1]:9000");
  });

  it("treats empty values as unset", () => {
    const env = loadEnv({ API_KEY: "", CORTEX_GRPC_PORT: "", NATS_URL: "" });
    expect(env.API_KEY).toBeUndefined();
    expect(env.CORTEX_GRPC_PORT).toBe(8080);
    expect(env.NATS_URL).toBe("nats://127.0.0.1:4222");
  });

  const bad: Array<[string, string, string]> = [
    ["CORTEX_GRPC_PORT", "abc", 'expected an integer port 0..65535, got "abc"'],
    ["CORTEX_HTTP_PORT", "70000", "expected an integer port 0..65535, got 70000"],
    ["CORTEX_SAFETY_PORT", "-1", 'expected an integer port 0..65535, got "-1"'],
    ["CORTEX_RETENTION_SECONDS", "0", "expected a positive integer, got 0"],
    [
      "CORTEX_STREAM_REPLICAS",
      "6",
      'expected 1..5 (a stream\'s replicas; more than 1 needs a JetStream cluster), got "6"',
    ],
    [
      "CORTEX_STREAM_REPLICAS",
      "0",
      'expected 1..5 (a stream\'s replicas; more than 1 needs a JetStream cluster), got "0"',
    ],
    ["CORTEX_MAX_CONTEXT_BYTES", "1MB", 'expected a positive integer, got "1MB"'],
    [
      "CORTEX_LOG_LEVEL",
      "loud",
      'expected one of: fatal, error, warn, info, debug, trace, silent, got "loud"',
    ],
    [
      "REDIS_URL",
      "http://localhost:6379",
      'expected a URL like redis://127.0.0.1:6379, got "http://localhost:6379"',
    ],
    ["OLLAMA_URL", "localhost", 'expected a URL like http://127.0.0.1:11434, got "localhost"'],
    ["SAFETY_KERNEL_ADDR", "localhost", 'expected host:port (e.g. 127.0.0.1:8080), got "localhost"'],
    ["CORTEX_GATEWAY_ADDR", "h:99999", 'expected host:port (e.g. 127.0.0.1:8080), got "h:99999"'],
    [
      "NATS_URL",
      "http://x/y",
      'expected a NATS URL like nats://127.0.0.1:4222 (comma-separated for several), got "http://x/y"',
    ],
  ];
  for (const [name, value, expectation] of bad) {
    it(`names ${name} when it is ${JSON.stringify(value)}`, () => {
      const err = envError({ [name]: value });
      expect(err.code).toBe(ErrorCode.ConfigInvalid);
      expect(err.message).toBe(`environment variable ${name}: ${expectation}`);
      expect(err.hint).toBe(`Fix or unset ${name}.`);
    });
  }
});

describe("loadEnv: workflow settings", () => {
  it("parses USE_PLANNER, CORTEX_WORKFLOW_TOPICS and CORTEX_WORKFLOW_EXPLAIN_TOPIC", () => {
    const env = loadEnv({
      USE_PLANNER: "Off",
      CORTEX_WORKFLOW_TOPICS: " job.echo, job.chat.* ,",
      CORTEX_WORKFLOW_EXPLAIN_TOPIC: "job.chat.simple",
    });
    expect(env.USE_PLANNER).toBe(false);
    expect(env.CORTEX_WORKFLOW_TOPICS).toEqual(["job.echo", "job.chat.*"]);
    expect(env.CORTEX_WORKFLOW_EXPLAIN_TOPIC).toBe("job.chat.simple");
    expect(loadEnv({ USE_PLANNER: "1" }).USE_PLANNER).toBe(true);
    expect(loadEnv({}).USE_PLANNER).toBeUndefined();
  });

  it("names the variable when a value is wrong", () => {
    expect(envError({ USE_PLANNER: "maybe" }).message).toContain("USE_PLANNER");
    expect(envError({ CORTEX_WORKFLOW_TOPICS: "job..x" }).message).toContain("CORTEX_WORKFLOW_TOPICS");
    expect(envError({ CORTEX_WORKFLOW_EXPLAIN_TOPIC: "job.*" }).message).toContain(
      "CORTEX_WORKFLOW_EXPLAIN_TOPIC",
    );
  });

  it("takes NATS/Redis credentials in the URLs and NATS_CREDS / NATS_TLS_* files", () => {
    const env = loadEnv({
      HOME: "/h",
      NATS_URL: "nats://u:p@a:4222,nats://tok@b:4222",
      REDIS_URL: "rediss://app:pw@r:6380",
      NATS_CREDS: "/etc/nats/u.creds",
      NATS_TLS_CA: "/ca.pem",
      NATS_TLS_CERT: "/c.pem",
      NATS_TLS_KEY: "/k.pem",
    });
    expect(env).toMatchObject({
      REDIS_URL: "rediss://app:pw@r:6380",
      NATS_CREDS: "/etc/nats/u.creds",
      NATS_TLS_CA: "/ca.pem",
      NATS_TLS_CERT: "/c.pem",
      NATS_TLS_KEY: "/k.pem",
    });
  });

  it("does not echo a password from a malformed URL", () => {
    expect(envError({ HOME: "/h", REDIS_URL: "redis://u:hunter2@ bad" }).toUserString()).not.toContain(
      "hunter2",
    );
    expect(envError({ HOME: "/h", NATS_URL: "nats://u:hunter2@a b" }).toUserString()).not.toContain(
      "hunter2",
    );
  });
});
