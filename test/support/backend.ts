/**
 * The backend the end-to-end suite runs on: vitest.config.ts sets CORTEX_TEST_BACKEND per
 * project (e2e-nats, e2e-embedded). Outside a project (the benchmark) it is nats.
 */
export type TestBackend = "nats" | "embedded";

export class TestBackendError extends Error {
  override name = "TestBackendError";
}

export function testBackend(): TestBackend {
  const value = process.env.CORTEX_TEST_BACKEND ?? "nats";
  if (value !== "nats" && value !== "embedded") {
    throw new TestBackendError(`CORTEX_TEST_BACKEND must be nats or embedded, not ${JSON.stringify(value)}`);
  }
  return value;
}

export const onNats = (): boolean => testBackend() === "nats";
