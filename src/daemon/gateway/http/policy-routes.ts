/** GET /api/v1/policy (the rules in force) and GET /api/v1/policy/explain?topic=…&tenant=…. */
import type { FastifyInstance, FastifyRequest } from "fastify";
import { z } from "zod";
import { explanationJson, policyJson } from "../../../core/policy-wire.js";
import type { Principal } from "../auth.js";
import { invalidArgument } from "../grpc-errors.js";
import { explainFor, type PolicyDeps, policyInForce } from "../policy-queries.js";

export const PolicyRoutes = {
  policy: "/api/v1/policy",
  explain: "/api/v1/policy/explain",
} as const;

const explainQuery = z.object({
  topic: z.string({ error: "expected a single string" }).optional(),
  tenant: z.string({ error: "expected a single string" }).optional(),
});

function parseExplainQuery(query: unknown): { topic: string; tenant: string } {
  const result = explainQuery.safeParse(query ?? {});
  if (!result.success) {
    const issue = result.error.issues[0];
    throw invalidArgument(issue?.path.map(String).join(".") || "query", issue?.message ?? "invalid");
  }
  return { topic: result.data.topic ?? "", tenant: result.data.tenant ?? "" };
}

export function registerPolicyRoutes(
  app: FastifyInstance,
  deps: PolicyDeps & { principalOf(req: FastifyRequest): Principal },
): void {
  app.get(PolicyRoutes.policy, async (req) => policyJson(policyInForce(deps, deps.principalOf(req))));
  app.get(PolicyRoutes.explain, async (req) => {
    const q = parseExplainQuery(req.query);
    return explanationJson(q.topic, await explainFor(deps, q, deps.principalOf(req)));
  });
}
