/** `cortex policy test FILE`: a YAML list of cases, each a topic (and tenant) with the effect it must get. */
import { z } from "zod";
import { CortexError, isCortexError } from "../core/errors.js";
import { nonEmptyString, topicName } from "./fields.js";
import { loadYamlConfig } from "./load-file.js";
import { policyEffectSchema } from "./safety.js";

export const policyCaseSchema = z.strictObject({
  topic: topicName(),
  tenant: nonEmptyString().optional(),
  expect: policyEffectSchema,
  /** The rule that must decide; omitted, any rule (or the default) may. */
  rule: nonEmptyString().optional(),
});

export const policyCasesSchema = z.array(policyCaseSchema).min(1, { error: "expected at least one case" });

export type PolicyCase = z.infer<typeof policyCaseSchema>;

const CASES_HINT =
  "Fix the cases file: a YAML list of {topic, tenant?, expect: allow|deny|require_approval, rule?}.";

export function loadPolicyCasesFile(path: string): PolicyCase[] {
  try {
    // envVar only shapes the default hint, replaced below: cases files have no variable.
    return loadYamlConfig({ path, envVar: "FILE" }, policyCasesSchema);
  } catch (err) {
    if (!isCortexError(err)) throw err;
    throw new CortexError(err.code, err.message, {
      hint: CASES_HINT,
      cause: err,
      ...(err.details ? { details: err.details } : {}),
    });
  }
}
