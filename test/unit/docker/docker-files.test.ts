/**
 * docker/ as documented, checked without a Docker engine: the Dockerfile's stages, COPY
 * sources, user, healthcheck and entrypoint; the compose file's commands, variables and start
 * order against the CLI and src/config/env.ts.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { HEALTH_COMPONENTS } from "../../../src/client/component-health.js";
import { ENV_VARS } from "../../../src/config/env.js";
import { packageRoot } from "../../../src/config/package-root.js";
import { COMPONENT_NAMES } from "../../../src/daemon/component.js";
import { COMPOSE_FILE, ENV_EXAMPLE, readCompose, readEnvFile } from "../../support/compose-file.js";

const root = packageRoot();
const dockerfile = readFileSync(resolve(root, "docker/Dockerfile"), "utf8");

interface Instruction {
  op: string;
  args: string;
}

/** Instructions with `\` continuations joined and comments dropped. */
function instructions(text: string): Instruction[] {
  return text
    .replace(/\\\n/g, " ")
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("#"))
    .map((l) => {
      const [op = "", ...rest] = l.split(/\s+/);
      return { op: op.toUpperCase(), args: rest.join(" ") };
    });
}

const all = instructions(dockerfile);
const stages: Instruction[][] = [];
for (const ins of all) {
  if (ins.op === "FROM") stages.push([]);
  stages[stages.length - 1]?.push(ins);
}
const final = stages[stages.length - 1] ?? [];
const argsOf = (stage: Instruction[], op: string) => stage.filter((i) => i.op === op).map((i) => i.args);

/** The CLI's commands, from src/commands (`worker start` = src/commands/worker/start.ts). */
function commandExists(words: readonly string[]): boolean {
  for (let n = words.length; n > 0; n--) {
    if (existsSync(`${join(root, "src/commands", ...words.slice(0, n))}.ts`)) return true;
  }
  return false;
}

const dockerignore = readFileSync(resolve(root, ".dockerignore"), "utf8")
  .split("\n")
  .map((l) => l.trim())
  .filter((l) => l !== "" && !l.startsWith("#"));

describe("docker/Dockerfile", () => {
  it("is two stages on node:20-slim; the build stage has the toolchain for better-sqlite3", () => {
    expect(stages).toHaveLength(2);
    expect(all.filter((i) => i.op === "FROM").map((i) => i.args)).toEqual([
      "node:20-slim AS build",
      "node:20-slim",
    ]);
    const run = argsOf(stages[0] ?? [], "RUN").join("\n");
    for (const tool of ["python3", "make", "g++", "npm ci", "npm run build"]) expect(run).toContain(tool);
    // `npm run build` compiles src/ and builds the dashboard from web/ into dist/web.
    const copied = argsOf(stages[0] ?? [], "COPY").map((a) => a.split(/\s+/)[0]);
    for (const dir of ["src", "web", "scripts", "proto"]) expect(copied).toContain(dir);
  });

  it("final stage: production dependencies only, the native module and dist/ from the build stage", () => {
    const run = argsOf(final, "RUN").join("\n");
    expect(run).toMatch(/npm ci --omit=dev/);
    const fromBuild = argsOf(final, "COPY")
      .filter((a) => a.startsWith("--from=build"))
      .map((a) => a.split(/\s+/)[1]);
    expect(fromBuild).toEqual(
      expect.arrayContaining([
        "/app/node_modules/better-sqlite3/build",
        "/app/dist",
        "/app/oclif.manifest.json",
      ]),
    );
  });

  it("every COPY source from the context exists and is not excluded by .dockerignore", () => {
    const sources = all
      .filter((i) => i.op === "COPY" && !i.args.startsWith("--from"))
      .flatMap((i) => i.args.split(/\s+/).slice(0, -1));
    expect(sources.length).toBeGreaterThan(5);
    for (const src of sources) {
      expect(existsSync(resolve(root, src)), src).toBe(true);
      expect(dockerignore, src).not.toContain(src.replace(/^\.\//, ""));
    }
    // The package's runtime files all reach the final image.
    const pkg = JSON.parse(readFileSync(resolve(root, "package.json"), "utf8")) as { files: string[] };
    const finalCopies = argsOf(final, "COPY").join(" ");
    for (const f of pkg.files) expect(finalCopies, f).toContain(f);
  });

  it("runs as a non-root user, `cortex` as the entrypoint, a cortex command as the healthcheck", () => {
    const user = argsOf(final, "USER");
    expect(user).toHaveLength(1);
    expect(user[0]).not.toMatch(/^(root|0)(:|$)/);
    expect(argsOf(final, "ENTRYPOINT")).toEqual(['["cortex"]']);
    const health = argsOf(final, "HEALTHCHECK")[0] ?? "";
    const cmd = /CMD (\[.*\])$/.exec(health)?.[1];
    const words = JSON.parse(cmd ?? "[]") as string[];
    expect(words[0]).toBe("cortex");
    expect(commandExists(words.slice(1, 3))).toBe(true);
    // The image's default command, the all-in-one daemon, runs the gateway it checks.
    expect(words).toEqual(["cortex", "health", "--component", "gateway"]);
    expect(argsOf(final, "CMD")).toEqual(['["daemon"]']);
  });
});

describe("docker/docker-compose.yml", () => {
  const vars = readEnvFile(ENV_EXAMPLE);
  const services = readCompose(vars);
  const cortex = Object.entries(services).filter(([, s]) => s.build !== undefined);

  it("has one service per component and worker kind, plus nats, redis, ollama, model-pull and otel", () => {
    expect(Object.keys(services).sort()).toEqual(
      [
        "nats",
        "redis",
        "safety",
        "scheduler",
        "gateway",
        "echo",
        "chat-simple",
        "chat-advanced",
        "code-llm",
        "orchestrator",
        "planner",
        "ollama",
        "model-pull",
        "otel",
      ].sort(),
    );
    const kinds = readdirSync(join(root, "src/workers"));
    for (const kind of ["echo", "chat-simple", "chat-advanced", "code-llm", "planner"])
      expect(kinds, kind).toContain(`${kind}.ts`);
    expect(services.otel?.profiles).toEqual(["otel"]);
    expect(services.gateway?.command).toEqual(["daemon", "--only", "gateway"]);
    expect(services["model-pull"]?.command).toEqual(["pull-model"]);
  });

  it("every cortex command and healthcheck is a CLI command; every long-running service has a healthcheck", () => {
    for (const [name, svc] of cortex) {
      expect(commandExists(svc.command ?? []), name).toBe(true);
      if (svc.restart === "no") continue;
      const test = svc.healthcheck?.test ?? [];
      expect(test.slice(0, 3), name).toEqual(["CMD", "cortex", "health"]);
    }
    for (const name of ["nats", "redis", "ollama"]) expect(services[name]?.healthcheck, name).toBeDefined();
  });

  it("depends_on waits for healthy services only, and every dependency has a healthcheck", () => {
    for (const [name, svc] of Object.entries(services)) {
      for (const [dep, { condition }] of Object.entries(svc.depends_on ?? {})) {
        expect(condition, `${name} → ${dep}`).toBe("service_healthy");
        expect(services[dep]?.healthcheck, `${name} → ${dep}`).toBeDefined();
      }
    }
  });

  it("sets only variables cortex reads (src/config/env.ts), and the worker replicas come from .env", () => {
    const known = new Set<string>([...ENV_VARS, "OTEL_EXPORTER_OTLP_ENDPOINT"]);
    for (const [name, svc] of cortex)
      for (const key of Object.keys(svc.environment ?? {}))
        expect(known.has(key), `${name}: ${key}`).toBe(true);
    for (const kind of ["echo", "chat-simple", "chat-advanced", "code-llm", "orchestrator", "planner"]) {
      expect(services[kind]?.deploy?.replicas, kind).toBe(1);
      const scaled = readCompose({ ...vars, [`${kind.replace("-", "_").toUpperCase()}_REPLICAS`]: "3" });
      expect(scaled[kind]?.deploy?.replicas, kind).toBe(3);
    }
  });

  it("every setting of .env.example is used by the compose file", () => {
    const text = readFileSync(COMPOSE_FILE, "utf8");
    const example = readFileSync(ENV_EXAMPLE, "utf8");
    const names = [...example.matchAll(/^#?\s*([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1] as string);
    expect(names).toEqual(expect.arrayContaining(["NATS_URL", "REDIS_URL", "SAFETY_KERNEL_ADDR", "API_KEY"]));
    for (const n of names) expect(text, n).toContain(`\${${n}`);
  });

  it("`cortex health` knows every daemon component", () => {
    expect([...HEALTH_COMPONENTS]).toEqual([...COMPONENT_NAMES]);
  });
});
