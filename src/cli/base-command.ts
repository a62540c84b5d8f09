import { Command, Errors } from "@oclif/core";
import { CortexError, ErrorCode, isCortexError } from "../core/errors.js";
import { exitCodeFor } from "./exit-codes.js";
import { singleDashHint } from "./single-dash-hint.js";

/**
 * Every cortex command extends this: `--json` on, and CortexErrors turned into the
 * one-or-two-line message + hint and the exit code from DESIGN.md.
 */
export abstract class BaseCommand extends Command {
  static override enableJsonFlag = true;

  protected override async catch(err: Error & { exitCode?: number }): Promise<unknown> {
    const hinted = this.singleDashError(err);
    if (hinted) return this.catch(hinted);
    if (!isCortexError(err)) return super.catch(err);
    process.exitCode = exitCodeFor(err);
    if (this.jsonEnabled()) {
      this.logJson({ error: { code: err.code, message: err.message, hint: err.hint } });
      return;
    }
    this.logToStderr(`Error: ${err.toUserString()}`);
    return;
  }

  /** A parse error caused by a long flag typed with one dash, as an error naming the flag meant. */
  private singleDashError(err: Error): CortexError | undefined {
    // oclif's parse errors (CLIParseError) carry the parse; other CLIErrors do not.
    if (!(err instanceof Errors.CLIError) || !("parse" in err)) return undefined;
    const hint = singleDashHint(this.argv, Object.keys(this.ctor.flags ?? {}));
    if (!hint) return undefined;
    return new CortexError(ErrorCode.InvalidArgument, `${hint.typed} is not a flag of this command`, {
      hint: `Did you mean --${hint.flag}? Long flags take two dashes.`,
      cause: err,
    });
  }
}
