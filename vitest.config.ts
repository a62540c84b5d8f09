import { defineConfig } from "vitest/config";

export default defineConfig({
  // Vite transforms .ts/.mts/.tsx by default; src/cli/fast-path.cts is CommonJS TypeScript.
  oxc: { include: /\.([cm]?ts|[jt]sx)$/ },
  test: {
    include: ["src/**/*.test.ts", "test/**/*.test.ts", "test/**/*.test.tsx"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: "forks",
    reporters: ["default"],
  },
});
