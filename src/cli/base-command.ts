import { Command } from "@oclif/core";
import { isCortexError } from "../core/errors.js";
import { exitCodeFor } from "./exit-codes.js";

/**
 * Every cortex command extends this: `--json` on, and CortexErrors turned into the
 * one-or-two-line message + hint and the exit code from DESIGN.md.
 */
export abstract class BaseCommand extends Command {
  static override enableJsonFlag = true;

  protected override async catch(err: Error & { exitCode?: number }): Promise<unknown> {
    if (!isCortexError(err)) return super.catch(err);
    process.exitCode = exitCodeFor(err);
    if (this.jsonEnabled()) {
      this.logJson({ error: { code: err.code, message: err.message, hint: err.hint } });
      return;
    }
    this.logToStderr(`Error: ${err.toUserString()}`);
    return;
  }
}
