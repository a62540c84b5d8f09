import { Flags } from "@oclif/core";
import { BaseCommand } from "../../cli/base-command.js";
import { gatewayFromEnv } from "../../cli/gateway.js";
import { explanationLines } from "../../cli/policy-text.js";
import { loadSafetyFile } from "../../config/safety.js";
import { CortexError, ErrorCode, isCortexError } from "../../core/errors.js";
import { explainPolicy, type PolicyExplanation } from "../../core/policy.js";
import { explanationFromWire, explanationJson, type PolicyExplanationJson } from "../../core/policy-wire.js";
import { isValidTopic } from "../../core/subjects.js";

export default class PolicyExplain extends BaseCommand {
  static override summary =
    "Show which safety rule decides a topic (and tenant), and the rules checked before it";
  static override description =
    "Without --file it asks the running stack, so the answer is the policy actually in force; " +
    "with --file it evaluates that safety.yaml offline. Exit 0 whatever the decision.";
  static override examples = [
    "<%= config.bin %> policy explain --topic job.deploy.prod",
    "<%= config.bin %> policy explain --topic job.deploy.prod --tenant acme --file examples/policies/safety.yaml",
  ];
  static override flags = {
    topic: Flags.string({ description: "the job topic to explain, e.g. job.echo", required: true }),
    tenant: Flags.string({ description: "the tenant (default: the policy's default_tenant)" }),
    file: Flags.string({ description: "evaluate this safety.yaml instead of asking the stack" }),
  };

  async run(): Promise<PolicyExplanationJson> {
    const { flags } = await this.parse(PolicyExplain);
    const request = { topic: flags.topic, tenant: flags.tenant ?? "" };
    const explanation = flags.file ? explainFile(flags.file, request) : await explainInForce(request);
    if (!this.jsonEnabled()) for (const line of explanationLines(flags.topic, explanation)) this.log(line);
    return explanationJson(flags.topic, explanation);
  }
}

function explainFile(file: string, req: { topic: string; tenant: string }): PolicyExplanation {
  if (!isValidTopic(req.topic))
    throw new CortexError(
      ErrorCode.InvalidArgument,
      `topic: expected dot-separated tokens of letters, digits, _ and - (got ${JSON.stringify(req.topic)})`,
    );
  return explainPolicy(loadSafetyFile(file), req);
}

async function explainInForce(req: { topic: string; tenant: string }): Promise<PolicyExplanation> {
  const client = await gatewayFromEnv();
  try {
    return explanationFromWire(await client.explainPolicy(req));
  } catch (err) {
    if (!isCortexError(err, ErrorCode.StackUnreachable)) throw err;
    throw new CortexError(err.code, err.message, {
      hint: `${(err.hint ?? "Start the stack with `cortex up`").replace(/\.?$/, ".")} Or use --file to check a file without a stack.`,
      cause: err,
    });
  } finally {
    client.close();
  }
}
