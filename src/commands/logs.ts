import { closeSync, existsSync, openSync, readSync, statSync } from "node:fs";
import { Args, Flags } from "@oclif/core";
import ansis from "ansis";
import { BaseCommand } from "../cli/base-command.js";
import { LOG_COMPONENTS, lastLines, matches, parseLine, prettyLogLine } from "../cli/daemon-log-lines.js";
import { loadEnv } from "../config/env.js";
import { CortexError, ErrorCode } from "../core/errors.js";
import { resolveHome } from "../daemon/supervisor/home.js";

/** How often -f looks for new lines (polling survives the rotation's rename, fs.watch does not). */
const FOLLOW_POLL_MS = 250;

export default class Logs extends BaseCommand {
  static override enableJsonFlag = false;
  static override summary = "Print the daemon's logs, optionally for one component, and follow them with -f";
  static override description =
    "On a terminal the lines are pretty-printed (pino-pretty); with --json (or --raw), or when stdout is not a terminal, they are the JSON lines as written. The log rotates by size (CORTEX_LOG_MAX_BYTES, CORTEX_LOG_FILES); the rotated files are read too.";
  static override examples = [
    "<%= config.bin %> logs",
    "<%= config.bin %> logs scheduler -f",
    "<%= config.bin %> logs --json | jq .msg",
  ];
  static override args = {
    component: Args.string({ description: "only lines of this component", options: [...LOG_COMPONENTS] }),
  };
  static override flags = {
    follow: Flags.boolean({ char: "f", description: "keep printing new lines" }),
    lines: Flags.integer({ char: "n", description: "lines to show from the end", default: 100, min: 0 }),
    json: Flags.boolean({ description: "print the JSON lines as written, even on a terminal" }),
    raw: Flags.boolean({ description: "same as --json", hidden: true }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Logs);
    const env = loadEnv(process.env);
    const home = resolveHome({ ...process.env, CORTEX_HOME: env.CORTEX_HOME });
    const path = home.daemonLog;
    if (!existsSync(path)) {
      throw new CortexError(ErrorCode.StackUnreachable, `no daemon log at ${path}`, {
        hint: "Start the stack with `cortex up` (or set CORTEX_HOME to where it runs).",
      });
    }
    const pretty = process.stdout.isTTY === true && !flags.json && !flags.raw;
    const format = pretty ? prettyLogLine(ansis.isSupported()) : (line: string) => line;
    for (const p of await lastLines(path, env.CORTEX_LOG_FILES, args.component, flags.lines))
      this.log(format(p.line));
    if (!flags.follow) return;
    await followLog(path, (line) => {
      const parsed = parseLine(line);
      if (parsed && matches(parsed, args.component)) this.log(format(line));
    });
  }
}

/** Calls `onLine` for each line appended to `path`, across rotations; runs until the process ends. */
async function followLog(path: string, onLine: (line: string) => void): Promise<never> {
  let { ino, size: offset } = statSync(path);
  let partial = "";
  const readFrom = (file: string, start: number): number => {
    const fd = openSync(file, "r");
    try {
      const buf = Buffer.alloc(64 * 1024);
      let pos = start;
      for (;;) {
        const n = readSync(fd, buf, 0, buf.length, pos);
        if (n === 0) return pos;
        pos += n;
        const lines = (partial + buf.subarray(0, n).toString("utf8")).split("\n");
        partial = lines.pop() ?? "";
        for (const l of lines) onLine(l);
      }
    } finally {
      closeSync(fd);
    }
  };
  for (;;) {
    await new Promise((r) => setTimeout(r, FOLLOW_POLL_MS));
    let st: ReturnType<typeof statSync>;
    try {
      st = statSync(path);
    } catch {
      continue; // between the rename and the new file
    }
    if (st.ino !== ino) {
      // Rotated: finish the old generation (now path.1), then read the new file from its start.
      try {
        readFrom(`${path}.1`, offset);
      } catch {
        // already rotated further; those lines are in the older files
      }
      ino = st.ino;
      offset = 0;
    } else if (st.size < offset) offset = 0;
    if (st.size > offset) offset = readFrom(path, offset);
  }
}
