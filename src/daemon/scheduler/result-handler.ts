/**
 * sys.job.result consumer. Results of cortex workers are already in the store (they carry
 * `finished`) and are acked without a store call; results of CortexOS v1 workers are applied
 * through the jobs layer.
 */

import type { WorkMessage } from "../../bus/bus.js";
import { errFields } from "../../core/clip.js";
import type { JobLifecycle } from "../../jobs/index.js";
import type { Dispatcher } from "./dispatcher.js";
import { ACK, retryLater, type Settle, settle } from "./settle.js";
import type { SchedulerDeps } from "./types.js";

export class ResultHandler {
  constructor(
    private readonly deps: SchedulerDeps,
    private readonly jobs: JobLifecycle,
    private readonly dispatcher: Dispatcher,
  ) {}

  readonly handle = async (msg: WorkMessage): Promise<void> => {
    let outcome: Settle;
    try {
      outcome = await this.process(msg);
    } catch (err) {
      // Store or bus trouble, expected during an outage: no stack.
      this.deps.logger.warn(
        { ...errFields(err), deliveryCount: msg.deliveryCount },
        "result not processed; will retry",
      );
      outcome = retryLater(msg.deliveryCount);
    }
    await settle(msg, outcome, this.deps.logger);
  };

  private async process(msg: WorkMessage): Promise<Settle> {
    const payload = msg.packet.payload;
    if (payload?.$case !== "jobResult") {
      this.deps.logger.warn(
        { payloadCase: payload?.$case },
        "dropping a result message that holds no job result",
      );
      return { kind: "term" };
    }
    await this.jobs.v1Results.apply(
      payload.jobResult,
      (topic) => this.dispatcher.hasLiveWorker(topic),
      msg.packet,
    );
    return ACK;
  }
}
