/**
 * Global setup of the faults project: a fresh table file in the OS temp dir for the cases'
 * rows, printed as one markdown table once every case has run, then removed.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";

const TABLE_HEADER = [
  "| fault | accepted | rejected at submit | lost | run twice (running at fault) | stuck after recovery | time to recover | all done |",
  "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
].join("\n");

export default function setup(project: TestProject): () => void {
  const file = join(tmpdir(), `cortex-fault-table-${process.pid}.md`);
  writeFileSync(file, "");
  project.provide("faultTableFile", file);
  return () => {
    if (!existsSync(file)) return;
    const rows = readFileSync(file, "utf8").trim();
    rmSync(file, { force: true });
    if (rows !== "") console.log(`\nfault suite:\n${TABLE_HEADER}\n${rows}\n`);
  };
}
