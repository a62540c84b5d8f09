import { createReadStream, existsSync, statSync, watch } from "node:fs";
import { createInterface } from "node:readline";
import { Args, Flags } from "@oclif/core";
import ansis from "ansis";
import { BaseCommand } from "../cli/base-command.js";
import { loadEnv } from "../config/env.js";
import { CortexError, ErrorCode } from "../core/errors.js";
import { resolveHome } from "../daemon/supervisor/home.js";

const LEVELS: Record<number, string> = {
  10: "TRACE",
  20: "DEBUG",
  30: "INFO",
  40: "WARN",
  50: "ERROR",
  60: "FATAL",
};

export default class Logs extends BaseCommand {
  static override enableJsonFlag = false;
  static override summary = "Print the daemon's logs, optionally for one component, and follow them with -f";
  static override examples = [
    "<%= config.bin %> logs",
    "<%= config.bin %> logs scheduler -f",
    "<%= config.bin %> logs --raw",
  ];
  static override args = {
    component: Args.string({
      description: "only lines of this component (gateway, scheduler, safety, workers, …)",
    }),
  };
  static override flags = {
    follow: Flags.boolean({ char: "f", description: "keep printing new lines" }),
    lines: Flags.integer({ char: "n", description: "lines to show from the end", default: 100 }),
    raw: Flags.boolean({ description: "print the JSON lines as written" }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Logs);
    const env = loadEnv(process.env);
    const home = resolveHome({ ...process.env, CORTEX_HOME: env.CORTEX_HOME });
    if (!existsSync(home.daemonLog)) {
      throw new CortexError(ErrorCode.StackUnreachable, `no daemon log at ${home.daemonLog}`, {
        hint: "Start the stack with `cortex up` (or set CORTEX_HOME to where it runs).",
      });
    }
    const format = (line: string): string | undefined => {
      if (!line.trim()) return undefined;
      let rec: Record<string, unknown>;
      try {
        rec = JSON.parse(line) as Record<string, unknown>;
      } catch {
        return args.component ? undefined : line;
      }
      if (args.component && rec.component !== args.component) return undefined;
      if (flags.raw) return line;
      const time = new Date(Number(rec.time ?? Date.now())).toISOString().slice(11, 23);
      const level = LEVELS[Number(rec.level)] ?? "INFO";
      const lvl =
        level === "ERROR" || level === "FATAL"
          ? ansis.red(level)
          : level === "WARN"
            ? ansis.yellow(level)
            : ansis.dim(level);
      const { time: _t, level: _l, msg, component, pid: _p, hostname: _h, ...rest } = rec;
      const extra = Object.keys(rest).length ? ansis.dim(` ${JSON.stringify(rest)}`) : "";
      return `${ansis.dim(time)} ${lvl.padEnd(5)} ${ansis.cyan(String(component ?? "daemon"))} ${String(msg ?? "")}${extra}`;
    };

    const all: string[] = [];
    const rl = createInterface({ input: createReadStream(home.daemonLog) });
    for await (const line of rl) {
      const out = format(line);
      if (out !== undefined) {
        all.push(out);
        if (all.length > flags.lines) all.shift();
      }
    }
    for (const l of all) this.log(l);
    if (!flags.follow) return;

    let offset = statSync(home.daemonLog).size;
    let partial = "";
    await new Promise<void>(() => {
      watch(home.daemonLog, () => {
        const size = statSync(home.daemonLog).size;
        if (size < offset) offset = 0;
        if (size === offset) return;
        const stream = createReadStream(home.daemonLog, { start: offset, end: size - 1, encoding: "utf8" });
        offset = size;
        stream.on("data", (chunk) => {
          const text = partial + String(chunk);
          const lines = text.split("\n");
          partial = lines.pop() ?? "";
          for (const l of lines) {
            const out = format(l);
            if (out !== undefined) this.log(out);
          }
        });
      });
    });
  }
}
