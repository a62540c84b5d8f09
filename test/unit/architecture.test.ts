/**
 * DESIGN.md's dependency rules ("Layout"), checked on the import graph of src/: every
 * static import, export-from and import() of src/**\/*.ts(x), relative paths resolved to
 * files. Type-only imports count too: they tie the folders together just the same.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";

/**
 * Known violations in files that are being rewritten elsewhere (the job path moving to
 * src/jobs). Temporary: delete an entry once its import is gone; the test fails on stale ones.
 */
const TEMPORARY_EXCEPTIONS: readonly string[] = [];

/**
 * Commands that are process entry points, so they import the daemon's entry rather than a
 * client: `cortex daemon` and `cortex worker start` run it in this process, `up`/`down`/`logs`
 * start and stop it through the supervisor, and `cortex watch` loads the TUI lazily.
 */
const ENTRY_POINT_IMPORTS: readonly { from: string; to: RegExp }[] = [
  // "Only entry points construct adapters": the daemon's main connects the bus and the store.
  {
    from: "src/daemon/connect-backend.ts",
    to: /^src\/(bus\/((nats|memory)-bus|nats-auth)|store\/(redis|sqlite)-store)\.ts$/,
  },
  {
    from: "src/commands/daemon.ts",
    to: /^src\/daemon\/(main|logger|run-until-signal|component)\.ts$/,
  },
  {
    from: "src/commands/worker/start.ts",
    to: /^src\/daemon\/(main|logger|run-until-signal)\.ts$/,
  },
  { from: "src/commands/up.ts", to: /^src\/daemon\/supervisor\// },
  { from: "src/commands/down.ts", to: /^src\/daemon\/supervisor\// },
  { from: "src/commands/logs.ts", to: /^src\/daemon\/supervisor\// },
  // `cortex ps` reads the supervisor's restart record beside the gateway's answer.
  { from: "src/commands/ps.ts", to: /^src\/daemon\/supervisor\// },
  { from: "src/commands/watch.ts", to: /^src\/tui\/run-watch\.tsx$/ },
];

/** Node and package modules that do I/O; src/core stays pure. */
const IO_MODULES =
  /^(node:)?(fs|fs\/promises|net|tls|http|https|http2|dgram|dns|child_process|cluster|worker_threads)$|^(nats|ioredis|better-sqlite3|@grpc\/grpc-js|ollama|fastify|pino)(\/|$)/;

const ROOT = resolve(import.meta.dirname, "../..");

interface Edge {
  from: string;
  /** A src/ path for relative imports, else the module specifier as written. */
  to: string;
}

function sourceFiles(dir: string, names = /\.(ts|tsx|cts|mts)$/): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path, names);
    return names.test(name) && !name.endsWith(".d.ts") ? [path] : [];
  });
}

/** Every module specifier (import, export-from, import(), require) in `file`. */
function specifiersOf(file: string): string[] {
  return ts.preProcessFile(readFileSync(file, "utf8"), true, true).importedFiles.map((f) => f.fileName);
}

function resolveRelative(fromFile: string, spec: string): string {
  const base = resolve(dirname(fromFile), spec).replace(/\.(c|m)?js$/, "");
  for (const candidate of [
    base,
    `${base}.ts`,
    `${base}.tsx`,
    `${base}.cts`,
    `${base}.mts`,
    `${base}/index.ts`,
  ]) {
    if (existsSync(candidate) && statSync(candidate).isFile()) return relative(ROOT, candidate);
  }
  throw new Error(`${relative(ROOT, fromFile)}: cannot resolve import "${spec}"`);
}

function importGraph(): Edge[] {
  return sourceFiles(join(ROOT, "src")).flatMap((file) => {
    const from = relative(ROOT, file);
    return specifiersOf(file).map((fileName) => ({
      from,
      to: fileName.startsWith(".") ? resolveRelative(file, fileName) : fileName,
    }));
  });
}

const edges = importGraph();
const key = (e: Edge): string => `${e.from} -> ${e.to}`;
const isEntryPointImport = (e: Edge): boolean =>
  ENTRY_POINT_IMPORTS.some((a) => a.from === e.from && a.to.test(e.to));
const allowed = (e: Edge): boolean => TEMPORARY_EXCEPTIONS.includes(key(e)) || isEntryPointImport(e);

/** The src folder of a resolved path ("core", "bus", …); undefined for packages. */
function area(path: string): string | undefined {
  return path.startsWith("src/") ? path.split("/")[1]?.replace(/\.(tsx?|cts)$/, "") : undefined;
}

/** Imports out of `fromArea` that `bad` flags, minus the listed exceptions. */
function violations(fromArea: string, bad: (e: Edge, toArea: string | undefined) => boolean): string[] {
  return edges.filter((e) => area(e.from) === fromArea && bad(e, area(e.to)) && !allowed(e)).map(key);
}

describe("architecture: DESIGN.md dependency rules", () => {
  it("src/core imports only core and gen, and no I/O module", () => {
    expect(violations("core", (_e, to) => to !== undefined && to !== "core" && to !== "gen")).toEqual([]);
    expect(violations("core", (e, to) => to === undefined && IO_MODULES.test(e.to))).toEqual([]);
  });

  it("adapters (src/bus, src/store) import only core and gen, and never each other", () => {
    for (const adapter of ["bus", "store"]) {
      expect(
        violations(adapter, (_e, to) => to !== undefined && to !== adapter && to !== "core" && to !== "gen"),
      ).toEqual([]);
    }
  });

  it("commands, tui and cli never import daemon, workers, store or bus (they go through src/client)", () => {
    const server = new Set(["daemon", "workers", "store", "bus"]);
    for (const front of ["commands", "tui", "cli"]) {
      expect(violations(front, (_e, to) => to !== undefined && server.has(to))).toEqual([]);
    }
  });

  it("commands never import the TUI, except `cortex watch` starting it", () => {
    expect(violations("commands", (_e, to) => to === "tui")).toEqual([]);
  });

  it("daemon and workers never import client, commands, tui or cli", () => {
    const front = new Set(["client", "commands", "tui", "cli"]);
    for (const back of ["daemon", "workers", "sdk"]) {
      expect(violations(back, (_e, to) => to !== undefined && front.has(to))).toEqual([]);
    }
  });

  it("daemon and workers use the bus and store only through their interfaces", () => {
    const interfaces = new Set(["src/bus/bus.ts", "src/bus/codec.ts", "src/store/job-store.ts"]);
    for (const back of ["daemon", "workers"]) {
      expect(violations(back, (e, to) => (to === "bus" || to === "store") && !interfaces.has(e.to))).toEqual(
        [],
      );
    }
  });

  it("src/sdk (the worker SDK, an outer layer like workers) imports only core, gen and the LLM types", () => {
    const ok = new Set(["sdk", "core", "gen"]);
    expect(
      violations("sdk", (e, to) => to !== undefined && !ok.has(to) && e.to !== "src/llm/types.ts"),
    ).toEqual([]);
  });

  it("workers never import the daemon", () => {
    expect(violations("workers", (_e, to) => to === "daemon")).toEqual([]);
  });

  it("src/jobs (when present) imports only core, gen, config and the Bus/JobStore interfaces", () => {
    const interfaces = new Set(["src/bus/bus.ts", "src/bus/codec.ts", "src/store/job-store.ts"]);
    const ok = new Set(["jobs", "core", "gen", "config"]);
    expect(violations("jobs", (e, to) => to !== undefined && !ok.has(to) && !interfaces.has(e.to))).toEqual(
      [],
    );
  });

  it("src has no import cycle", () => {
    const next = new Map<string, string[]>();
    for (const e of edges) if (e.to.startsWith("src/")) next.set(e.from, [...(next.get(e.from) ?? []), e.to]);
    const cycles: string[] = [];
    const state = new Map<string, "open" | "done">();
    const stack: string[] = [];
    const visit = (file: string): void => {
      state.set(file, "open");
      stack.push(file);
      for (const to of next.get(file) ?? []) {
        if (state.get(to) === "open") cycles.push([...stack.slice(stack.indexOf(to)), to].join(" -> "));
        else if (!state.has(to)) visit(to);
      }
      stack.pop();
      state.set(file, "done");
    };
    for (const file of next.keys()) if (!state.has(file)) visit(file);
    expect(cycles).toEqual([]);
  });

  it("every listed exception still exists, so fixed ones get deleted", () => {
    const present = new Set(edges.map(key));
    expect(TEMPORARY_EXCEPTIONS.filter((e) => !present.has(e))).toEqual([]);
    for (const a of ENTRY_POINT_IMPORTS)
      expect(edges.some((e) => e.from === a.from && a.to.test(e.to))).toBe(true);
  });

  it("the graph is real: it sees the imports this file relies on", () => {
    expect(edges.map(key)).toContain("src/daemon/main.ts -> src/daemon/workers-component.ts");
    expect(edges.map(key)).toContain("src/commands/watch.ts -> src/tui/run-watch.tsx");
  });
});

/**
 * Processes are started with execa, whose errors, timeouts and cleanup the code relies on; raw
 * child_process is forbidden in every file of src, test and bench (test/faults included), type
 * imports too: execa's Subprocess is the ChildProcess type they would want. No exception.
 */
describe("architecture: processes start through execa", () => {
  const files = ["src", "test", "bench"].flatMap((dir) =>
    sourceFiles(join(ROOT, dir), /\.(ts|tsx|cts|mts|js|mjs|cjs)$/),
  );

  it("no file in src, test or bench imports child_process", () => {
    const raw = files
      .filter((file) => specifiersOf(file).some((spec) => /^(node:)?child_process$/.test(spec)))
      .map((file) => relative(ROOT, file));
    expect(raw).toEqual([]);
  });

  it("the CommonJS --version fast path imports only node: builtins, so it never loads execa", () => {
    const specs = specifiersOf(join(ROOT, "src/cli/fast-path.cts"));
    expect(specs.length).toBeGreaterThan(0);
    expect(specs.filter((spec) => !spec.startsWith("node:"))).toEqual([]);
  });

  it("the scan is real: it sees execa where processes start", () => {
    const execaUsers = files
      .filter((file) => specifiersOf(file).includes("execa"))
      .map((f) => relative(ROOT, f));
    expect(execaUsers).toContain("src/daemon/supervisor/supervisor-main.ts");
    expect(execaUsers).toContain("test/support/cli.ts");
  });
});
