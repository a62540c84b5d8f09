import { z } from "zod";
import { nonEmptyString, topicPattern } from "./fields.js";
import { loadYamlConfig } from "./load-file.js";

export const SAFETY_ENV_VAR = "SAFETY_CONFIG_PATH";

export const policyEffectSchema = z.enum(["allow", "deny"]);

export const safetyRuleSchema = z.strictObject({
  id: nonEmptyString(),
  effect: policyEffectSchema,
  topics: z.array(topicPattern()).min(1),
  tenants: z.array(nonEmptyString()).min(1).optional(),
  reason: z.string().optional(),
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
