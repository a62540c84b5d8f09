import { z } from "zod";
import { parseDurationMs } from "../core/duration.js";
import { nonEmptyString, topicPattern } from "./fields.js";
import { loadYamlConfig } from "./load-file.js";

export const SAFETY_ENV_VAR = "SAFETY_CONFIG_PATH";

export const policyEffectSchema = z.enum(["allow", "deny", "require_approval"]);

const DURATION_ERROR = "expected a duration such as 90s, 30m, 24h or 7d (or a whole number of seconds)";

export const safetyRuleSchema = z
  .strictObject({
    id: nonEmptyString(),
    effect: policyEffectSchema,
    topics: z.array(topicPattern()).min(1),
    tenants: z.array(nonEmptyString()).min(1).optional(),
    reason: z.string().optional(),
    approvers: z.array(nonEmptyString()).min(1).optional(),
    expires_after: z
      .union([z.string(), z.number()])
      .refine((v) => parseDurationMs(v) !== undefined, { error: DURATION_ERROR })
      .optional(),
  })
  .superRefine((rule, ctx) => {
    // Approval terms on an allow or deny rule would be silently ignored.
    if (rule.effect === "require_approval") return;
    for (const key of ["approvers", "expires_after"] as const) {
      if (rule[key] !== undefined)
        ctx.addIssue({
          code: "custom",
          path: [key],
          message: `expected ${key} only on a rule with effect require_approval (this one is ${rule.effect})`,
        });
    }
  });

/** config/safety.yaml: the policy the safety kernel applies; the first matching rule wins. */
export const safetyConfigSchema = z.strictObject({
  default_tenant: nonEmptyString(),
  default_effect: policyEffectSchema,
  rules: z
    .array(safetyRuleSchema)
    .default([])
    .superRefine((rules, ctx) => {
      // Rule ids show up in audit records and deny reasons, so each must name one rule.
      const seen = new Map<string, number>();
      rules.forEach((rule, i) => {
        const first = seen.get(rule.id);
        if (first === undefined) seen.set(rule.id, i);
        else
          ctx.addIssue({
            code: "custom",
            path: [i, "id"],
            message: `expected a unique rule id, but rules[${first}] already uses ${JSON.stringify(rule.id)}`,
          });
      });
    }),
});

export type PolicyEffect = z.infer<typeof policyEffectSchema>;
export type SafetyRule = z.infer<typeof safetyRuleSchema>;
export type SafetyConfig = z.infer<typeof safetyConfigSchema>;

export function loadSafetyFile(path: string): SafetyConfig {
  return loadYamlConfig({ path, envVar: SAFETY_ENV_VAR }, safetyConfigSchema);
}
