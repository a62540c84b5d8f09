/**
 * Transpiles a source file and every module it imports relatively into `outDir` (same
 * layout, .js), so a child process can run repo code without a build. Packages resolve
 * through a node_modules link to the repo's.
 */
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import ts from "typescript";

const ROOT = resolve(import.meta.dirname, "../..");

/** Returns the path of the entry's .js under outDir. */
export function transpileTree(entry: string, outDir: string): string {
  const seen = new Set<string>();
  const queue = [resolve(ROOT, entry)];
  while (queue.length > 0) {
    const file = queue.pop() as string;
    if (seen.has(file)) continue;
    seen.add(file);
    const source = readFileSync(file, "utf8");
    const { outputText } = ts.transpileModule(source, {
      fileName: file,
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
    });
    const out = join(outDir, relative(ROOT, file)).replace(/\.ts$/, ".js");
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, outputText);
    for (const m of outputText.matchAll(/from\s+"(\.{1,2}\/[^"]+)\.js"/g)) {
      queue.push(resolve(dirname(file), `${m[1]}.ts`));
    }
  }
  writeFileSync(join(outDir, "package.json"), '{ "type": "module" }\n');
  symlinkSync(join(ROOT, "node_modules"), join(outDir, "node_modules"), "dir");
  return join(outDir, relative(ROOT, resolve(ROOT, entry))).replace(/\.ts$/, ".js");
}
