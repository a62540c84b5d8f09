/**
 * What `cortex up` shows while it waits: on a terminal an ora spinner per step with its
 * elapsed time, finished as a ✓ or ✗ line; plain ✓/✗ lines when stderr is not a terminal;
 * nothing under --json.
 */
import ansis from "ansis";
import ora, { type Ora } from "ora";

export type ProgressMode = "spinner" | "lines" | "quiet";

export function progressMode(json: boolean, stream: NodeJS.WriteStream = process.stderr): ProgressMode {
  if (json) return "quiet";
  // A pseudo-terminal without a size (columns 0) would make ora clear "infinitely many" lines.
  return stream.isTTY && (stream.columns ?? 0) > 0 ? "spinner" : "lines";
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
}

export class UpProgress {
  private spinner: Ora | undefined;
  private ticker: NodeJS.Timeout | undefined;
  private label = "";
  private startedAt = 0;

  constructor(
    private readonly mode: ProgressMode,
    private readonly write: (line: string) => void,
  ) {}

  /** Starts (or relabels) the current step; its clock keeps running across relabels. */
  waiting(label: string): void {
    if (this.mode !== "spinner") return;
    this.label = label;
    if (this.spinner === undefined) {
      this.startedAt = Date.now();
      // discardStdin: false keeps Ctrl-C a plain SIGINT.
      this.spinner = ora({ text: label, stream: process.stderr, discardStdin: false }).start();
      this.ticker = setInterval(() => this.render(), 100);
    }
    this.render();
  }

  /** Finishes the current step with a ✓ line (printed as is without a spinner). */
  done(line: string): void {
    this.finish(`${ansis.green("✓")} ${line}`);
  }

  fail(line: string): void {
    this.finish(`${ansis.red("✗")} ${line}`);
  }

  /** A line that is no step (a warning), printed above the spinner. */
  note(line: string): void {
    if (this.mode === "quiet") return;
    if (this.spinner !== undefined) {
      this.spinner.clear();
      this.write(line);
      this.spinner.render();
    } else this.write(line);
  }

  stop(): void {
    this.clearTicker();
    this.spinner?.stop();
    this.spinner = undefined;
  }

  private render(): void {
    if (this.spinner) this.spinner.text = `${this.label} ${ansis.dim(seconds(Date.now() - this.startedAt))}`;
  }

  private finish(line: string): void {
    if (this.mode === "quiet") return;
    // Components that came up in the same poll share the step's clock.
    const took = this.startedAt > 0 ? ` ${ansis.dim(seconds(Date.now() - this.startedAt))}` : "";
    if (this.spinner !== undefined) {
      this.clearTicker();
      this.spinner.stopAndPersist({ symbol: "", text: `${line}${took}` });
      this.spinner = undefined;
    } else this.write(this.mode === "spinner" ? `${line}${took}` : line);
  }

  private clearTicker(): void {
    if (this.ticker !== undefined) clearInterval(this.ticker);
    this.ticker = undefined;
  }
}
