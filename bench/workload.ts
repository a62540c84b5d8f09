import type { WorkloadFigures } from "./stats.js";

/**
 * One client's workload, opened and closed outside the measured window so that connection
 * set-up and teardown never count as per-job work: only run() is measured.
 */
export interface Workload {
  run(n: number): Promise<WorkloadFigures>;
  close(): Promise<void>;
}
