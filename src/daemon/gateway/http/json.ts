/**
 * API messages as HTTP JSON. The mapping lives in src/core/api-json.ts because the CLI's
 * `--json` prints the same shapes from the same code.
 */
export {
  approvalsPageJson,
  deadLettersPageJson,
  eventJson,
  jobDetailJson,
  jobsPageJson,
  protoJson,
  workersJson,
} from "../../../core/api-json.js";
