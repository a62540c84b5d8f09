import { BaseCommand } from "../../cli/base-command.js";
import { type CodeReviewOutput, codeReviewFlags, runCodeReview } from "../../cli/code-review.js";

export default class SubmitCodeReview extends BaseCommand {
  static override summary = "Review a file: a planned workflow patches it and explains the patch";
  static override description =
    "Runs the code-review workflow (job.workflow.demo): the planner picks the steps (by default: code-llm writes the patch, chat-advanced explains it), and each step runs as a child job you can watch. With --wait the steps are shown as they progress, then the patch (coloured on a terminal, plain when piped) and the explanation. --out writes the patch to a file; --apply applies it to the file, refusing if the file changed since it was read. The single-dash spelling of the original scripts works too: -file x -instruction y. Exit codes: 0 submitted (or, with --wait, reviewed); 1 the workflow failed, timed out or the patch no longer applies; 2 bad usage (missing, binary or oversized file); 3 the stack is not reachable.";
  static override examples = [
    "<%= config.bin %> submit code-review -file src/calc.py -instruction 'add type hints' --wait",
    "<%= config.bin %> submit code-review --file main.go --instruction 'handle the error' --out fix.patch",
    "<%= config.bin %> submit code-review -f app.ts -i 'use const' --apply",
  ];
  static override flags = codeReviewFlags;

  async run(): Promise<CodeReviewOutput> {
    const { flags } = await this.parse(SubmitCodeReview);
    return runCodeReview(this, flags);
  }
}
