import { BaseCommand } from "../../cli/base-command.js";
import { type CodeReviewOutput, codeReviewFlags, runCodeReview } from "../../cli/code-review.js";

export default class SubmitWorkflow extends BaseCommand {
  static override summary = "Run the demo workflow (job.workflow.demo) on a file and an instruction";
  static override description =
    "Submits a workflow job: the orchestrator asks the planner for a plan (or uses the default one: patch with code-llm, then explain with chat-advanced), checks it, and runs its steps as child jobs. Same flags and output as `cortex submit code-review`.";
  static override examples = [
    "<%= config.bin %> submit workflow --file src/calc.py --instruction 'add type hints' --wait",
    "<%= config.bin %> submit workflow --file app.ts --instruction 'use const' --wait --json",
  ];
  static override flags = codeReviewFlags;

  async run(): Promise<CodeReviewOutput> {
    const { flags } = await this.parse(SubmitWorkflow);
    return runCodeReview(this, flags);
  }
}
