import { configDefaults, defineConfig } from "vitest/config";

const E2E = "test/e2e/**/*.test.{ts,tsx}";
const FAULTS = "test/faults/**/*.test.ts";
const BROWSER = "test/browser/**/*.test.ts";

export default defineConfig({
  // Vite transforms .ts/.mts/.tsx by default; src/cli/fast-path.cts is CommonJS TypeScript.
  oxc: { include: /\.([cm]?ts|[jt]sx)$/ },
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: "forks",
    // Two files at a time: most of the suite waits on servers and processes, so on a 2-core
    // machine this halves its time (vitest's default there is one). Ports: test/support/free-port.ts.
    maxWorkers: 2,
    reporters: ["default"],
    // The end-to-end suite once per backend (DESIGN.md "Tests"); `vitest run` runs all three.
    projects: [
      {
        extends: true,
        test: {
          name: "unit+integration",
          include: ["src/**/*.test.ts", "test/**/*.test.ts", "test/**/*.test.tsx"],
          exclude: [...configDefaults.exclude, E2E, FAULTS, BROWSER],
        },
      },
      {
        extends: true,
        test: {
          name: "e2e-nats",
          include: [E2E],
          // Only the embedded backend has a file of its own.
          exclude: [...configDefaults.exclude, "test/e2e/embedded.test.ts"],
          env: { CORTEX_TEST_BACKEND: "nats" },
        },
      },
      {
        extends: true,
        test: { name: "e2e-embedded", include: [E2E], env: { CORTEX_TEST_BACKEND: "embedded" } },
      },
      {
        extends: true,
        // The web dashboard in Debian's chromium; each file loops over both backends itself.
        test: { name: "browser", include: [BROWSER], testTimeout: 60_000 },
      },
      {
        extends: true,
        // Issue 14's fault suite: >= 500 jobs per fault, one tally line each, the table at the end.
        test: {
          name: "faults",
          include: [FAULTS],
          globalSetup: ["test/faults/table-setup.ts"],
          env: { CORTEX_TEST_BACKEND: "nats" },
        },
      },
    ],
  },
});
