import { Args, Flags } from "@oclif/core";
import { BaseCommand } from "../../cli/base-command.js";
import { formatDiff } from "../../cli/diff-print.js";
import { ExitCode } from "../../cli/exit-codes.js";
import { casesDiff, type PolicyCaseResult, runPolicyCases } from "../../cli/policy-text.js";
import { configPaths } from "../../config/index.js";
import { loadPolicyCasesFile } from "../../config/policy-cases.js";
import { loadSafetyFile } from "../../config/safety.js";
import { displayPathOf } from "../../config/yaml-source.js";

export interface PolicyTestResult {
  policy: string;
  passed: number;
  failed: number;
  cases: PolicyCaseResult[];
}

export default class PolicyTest extends BaseCommand {
  static override summary =
    "Check a safety policy against a YAML list of expected decisions (CI for policies)";
  static override description =
    "FILE is a YAML list of {topic, tenant?, expect: allow|deny|require_approval, rule?}. Evaluated offline " +
    "against --policy (default: the safety.yaml the daemon uses, SAFETY_CONFIG_PATH or the shipped one). " +
    "Exit 1 with a diff when any case gets another effect or rule.";
  static override examples = [
    "<%= config.bin %> policy test examples/policies/policy-tests.yaml --policy examples/policies/safety.yaml",
  ];
  static override args = {
    file: Args.string({ description: "the cases file (YAML)", required: true }),
  };
  static override flags = {
    policy: Flags.string({
      description: "the safety.yaml to test (default: $SAFETY_CONFIG_PATH or the shipped one)",
    }),
  };

  async run(): Promise<PolicyTestResult> {
    const { args, flags } = await this.parse(PolicyTest);
    const policyPath = flags.policy ?? configPaths(process.env).safety;
    const policy = loadSafetyFile(policyPath);
    const cases = loadPolicyCasesFile(args.file);
    const results = runPolicyCases(policy, cases);
    const failed = results.filter((r) => !r.passed).length;
    const shownPolicy = displayPathOf(policyPath);
    if (!this.jsonEnabled()) {
      if (failed === 0)
        this.log(`${results.length} of ${results.length} cases passed (policy ${shownPolicy})`);
      else {
        this.log(formatDiff(casesDiff(results, displayPathOf(args.file), shownPolicy)).trimEnd());
        this.log(`${failed} of ${results.length} cases failed (policy ${shownPolicy})`);
      }
    }
    if (failed > 0) process.exitCode = ExitCode.JobFailed;
    return { policy: shownPolicy, passed: results.length - failed, failed, cases: results };
  }
}
