/**
 * Loads handler modules (`cortex worker start ./handlers.js`, `cortex up --worker`, pools.yaml
 * `workers:`): each default-exports one WorkerDefinition or an array of them. A module that
 * cannot be loaded is CONFIG_INVALID naming the file and the module's own error.
 */
import { extname, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { CortexError, ErrorCode } from "../core/errors.js";
import { assertUserWorkerRouting } from "../core/routing-check.js";
import { isWorkerDefinition, type WorkerDefinition } from "./definition.js";

export interface LoadedWorker {
  /** Absolute path of the module it came from. */
  file: string;
  definition: WorkerDefinition;
}

const TS_EXTENSIONS = new Set([".ts", ".mts", ".cts"]);

/** Whether a `worker start` argument names a module rather than a built-in kind. */
export function looksLikeModulePath(arg: string): boolean {
  return arg.includes("/") || arg.includes("\\") || /\.(c|m)?(j|t)s$/.test(arg);
}

function loadFailed(file: string, message: string, hint: string, cause?: unknown): CortexError {
  return new CortexError(ErrorCode.ConfigInvalid, `worker module ${file}: ${message}`, {
    hint,
    ...(cause === undefined ? {} : { cause }),
    details: { path: file },
  });
}

/** Node strips TypeScript types itself from 22.6 (flag) / 23.6 (default); older ones cannot. */
function assertCanLoadTypeScript(file: string): void {
  const features = process.features as { typescript?: string | false };
  if (features.typescript) return;
  throw loadFailed(
    file,
    `Node ${process.version} cannot load TypeScript`,
    "Compile it to .js (tsc), or use a Node that strips types (>= 23.6, or 22.6+ with --experimental-strip-types).",
  );
}

export async function loadWorkerModule(path: string): Promise<LoadedWorker[]> {
  const file = resolve(path);
  if (TS_EXTENSIONS.has(extname(file))) assertCanLoadTypeScript(file);
  let mod: { default?: unknown };
  try {
    mod = (await import(pathToFileURL(file).href)) as { default?: unknown };
  } catch (err) {
    const said = err instanceof Error ? err.message : String(err);
    throw loadFailed(
      file,
      `failed to load: ${said}`,
      "Fix the module (run it with `node` to see the whole stack).",
      err,
    );
  }
  const exported = Array.isArray(mod.default) ? mod.default : [mod.default];
  if (exported.length === 0 || !exported.every(isWorkerDefinition)) {
    throw loadFailed(
      file,
      "its default export is not a worker definition",
      "End the module with `export default defineWorker({ pool, topics })` (or an array of them).",
    );
  }
  return exported.map((definition) => ({ file, definition }));
}

/** Every module in order; two definitions claiming one topic are an error naming both files. */
export async function loadWorkerModules(paths: readonly string[]): Promise<LoadedWorker[]> {
  const loaded: LoadedWorker[] = [];
  for (const file of new Set(paths.map((p) => resolve(p)))) loaded.push(...(await loadWorkerModule(file)));
  const owner = new Map<string, string>();
  for (const { file, definition } of loaded) {
    for (const topic of Object.keys(definition.topics)) {
      const first = owner.get(topic);
      if (first !== undefined)
        throw loadFailed(file, `topic ${topic} is also handled by ${first}`, "Give each topic one handler.");
      owner.set(topic, file);
    }
  }
  return loaded;
}

/** Loads the modules and checks their topics against pools.yaml (the one routing table). */
export async function loadRoutedWorkers(
  paths: readonly string[],
  topicToPool: Readonly<Record<string, string>>,
  poolsPath: string,
): Promise<LoadedWorker[]> {
  const loaded = await loadWorkerModules(paths);
  assertUserWorkerRouting(
    loaded.map((w) => ({ file: w.file, pool: w.definition.pool, topics: Object.keys(w.definition.topics) })),
    topicToPool,
    poolsPath,
  );
  return loaded;
}
