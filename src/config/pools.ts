import { z } from "zod";
import { nonEmptyString, poolName, positiveInt, topicName } from "./fields.js";
import { loadYamlConfig } from "./load-file.js";

export const POOLS_ENV_VAR = "POOL_CONFIG_PATH";

export const poolSettingsSchema = z.strictObject({
  max_parallel_jobs: positiveInt().optional(),
  description: nonEmptyString().optional(),
});

/** config/pools.yaml: which worker pool serves each job topic. */
export const poolsConfigSchema = z.strictObject({
  topics: z.record(topicName(), poolName(), { error: "expected a map of topic -> pool name" }),
  pools: z
    .record(poolName(), poolSettingsSchema, { error: "expected a map of pool name -> settings" })
    .optional(),
  /** Worker-SDK handler modules the daemon loads (`cortex up`), relative to this file. */
  workers: z.array(nonEmptyString(), { error: "expected a list of module paths" }).optional(),
});

export type PoolSettings = z.infer<typeof poolSettingsSchema>;
export type PoolsConfig = z.infer<typeof poolsConfigSchema>;

export function loadPoolsFile(path: string): PoolsConfig {
  return loadYamlConfig({ path, envVar: POOLS_ENV_VAR }, poolsConfigSchema);
}

/** The pool routed to `topic`, or undefined when no pool serves it (exact match: topics have no wildcards). */
export function poolForTopic(pools: PoolsConfig, topic: string): string | undefined {
  return Object.hasOwn(pools.topics, topic) ? pools.topics[topic] : undefined;
}
