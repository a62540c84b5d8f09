import { Command, Errors } from "@oclif/core";
import { CortexError, ErrorCode, isCortexError } from "../core/errors.js";
import { ExitCode, exitCodeFor } from "./exit-codes.js";
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
    const parseError = this.jsonEnabled() ? usageErrorOf(err, this.id) : undefined;
    if (parseError !== undefined) return this.catch(parseError);
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

/**
 * oclif's flag and argument parse errors (exit 2) as an InvalidArgument, so `--json` prints
 * them in the one error shape. Without `--json` oclif's own text stays (it exits 2 already).
 */
function usageErrorOf(err: Error, commandId: string | undefined): CortexError | undefined {
  if (!(err instanceof Errors.CLIError) || err.oclif.exit !== ExitCode.Usage) return undefined;
  // oclif's message is "Parsing --limit \n\tExpected …\nSee more help with --help": keep the facts.
  const lines = err.message
    .split("\n")
    .map((l) => l.trim().replace(/\s+/g, " "))
    .filter((l) => l !== "" && !l.startsWith("See more help"));
  const message = lines.reduce(
    (all, l) => (all === "" ? l : `${all}${all.endsWith(":") ? " " : ": "}${l}`),
    "",
  );
  return new CortexError(ErrorCode.InvalidArgument, message, {
    hint: `See \`${["cortex", ...(commandId?.split(":") ?? [])].join(" ")} --help\` for its flags and arguments.`,
    cause: err,
  });
}
