/** The safety kernel's own policy code, evaluated in process: no round trip per job. */
import { evaluatePolicy, type SafetyPolicy } from "../core/policy.js";
import type { PolicyGate } from "./deps.js";

export function localPolicy(policy: SafetyPolicy): PolicyGate {
  return { check: async (req) => evaluatePolicy(policy, { topic: req.topic, tenant: req.tenant }) };
}
