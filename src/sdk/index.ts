/** The worker SDK (published as `cortex/worker`): define handlers, cortex runs them as jobs. */
export {
  type ChildJobOutcome,
  type ChildJobRequest,
  defineWorker,
  type TopicDefinition,
  type TopicHandler,
  type WorkerContext,
  type WorkerDefinition,
  type WorkerDefinitionInput,
  type WorkerLog,
} from "./definition.js";
export { NonRetryableError } from "./errors.js";
export type { StandardSchemaV1 } from "./standard-schema.js";
