#!/usr/bin/env node
// Summarises a .cpuprofile: self time by function and by file (top N). Usage: node bench/profile-summary.mjs FILE [N]
import { readFileSync } from "node:fs";

const [file, topArg] = process.argv.slice(2);
const top = Number(topArg ?? 25);
const prof = JSON.parse(readFileSync(file, "utf8"));
const self = new Map();
const dt = prof.timeDeltas;
const byId = new Map(prof.nodes.map((n) => [n.id, n]));
const counts = new Map();
for (let i = 0; i < prof.samples.length; i++)
  counts.set(prof.samples[i], (counts.get(prof.samples[i]) ?? 0) + (dt[i] ?? 0));
const total = [...counts.values()].reduce((a, b) => a + b, 0);
const byFn = new Map();
const byFile = new Map();
for (const [id, us] of counts) {
  const n = byId.get(id);
  const cf = n.callFrame;
  const url = cf.url
    .replace(/^file:\/\//, "")
    .replace(/.*node_modules\//, "nm:")
    .replace(/.*\/dist\//, "dist/");
  const fn = `${cf.functionName || "(anon)"} ${url}:${cf.lineNumber + 1}`;
  byFn.set(fn, (byFn.get(fn) ?? 0) + us);
  const pkg = url.startsWith("nm:")
    ? url
        .split("/")
        .slice(0, url.startsWith("nm:@") ? 2 : 1)
        .join("/")
    : url || cf.functionName;
  byFile.set(pkg, (byFile.get(pkg) ?? 0) + us);
}
const pct = (us) => `${((us / total) * 100).toFixed(1).padStart(5)}%`;
console.log(`total ${(total / 1e6).toFixed(2)} s sampled`);
console.log("\n== by package/file ==");
for (const [k, v] of [...byFile].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(pct(v), k);
console.log("\n== by function ==");
for (const [k, v] of [...byFn].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(pct(v), k);
void self;
