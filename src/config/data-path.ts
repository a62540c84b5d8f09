import { join } from "node:path";

/** The embedded backend's SQLite file under CORTEX_HOME. */
export function embeddedDbPath(cortexHome: string): string {
  return join(cortexHome, "data", "cortex.db");
}
