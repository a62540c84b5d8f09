/**
 * `cortex sumbit` when stdin is not a terminal: @oclif/plugin-not-found asks "Did you mean
 * submit?" only on a terminal, and otherwise just says the command does not exist (exit 127).
 * This hook adds the suggestion for scripts and CI, where no prompt can be answered.
 */
import type { Hook } from "@oclif/core";
import { toConfiguredId } from "@oclif/core";
import { closest } from "fastest-levenshtein";

const hook: Hook.CommandNotFound = async (opts) => {
  if (process.stdin.isTTY) return; // the plugin's prompt asks instead
  const ids = opts.config.commands.filter((c) => !c.hidden).flatMap((c) => [c.id, ...c.aliases]);
  if (ids.length === 0) return;
  const suggestion = toConfiguredId(closest(opts.id, ids), opts.config);
  process.stderr.write(`Did you mean ${suggestion}? (run \`${opts.config.bin} ${suggestion} --help\`)\n`);
};

export default hook;
