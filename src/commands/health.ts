import { Flags } from "@oclif/core";
import { BaseCommand } from "../cli/base-command.js";
import { ExitCode } from "../cli/exit-codes.js";
import { HEALTH_COMPONENTS, type HealthComponent, probeComponent } from "../client/component-health.js";
import { loadEnv } from "../config/env.js";

interface HealthResult {
  component: HealthComponent;
  healthy: boolean;
  detail: string;
}

export default class Health extends BaseCommand {
  static override summary =
    "Check one component of this host and exit 0 (healthy) or 1 (a container HEALTHCHECK)";
  static override description =
    "gateway: GET /ready on CORTEX_HTTP_PORT; scheduler: its metrics endpoint; safety: the kernel's gRPC " +
    "port answers; workers: the gateway (CORTEX_GATEWAY_ADDR) lists a live worker of this host.";
  static override examples = [
    "<%= config.bin %> health --component gateway",
    "<%= config.bin %> health --component workers",
  ];
  static override flags = {
    component: Flags.string({
      options: [...HEALTH_COMPONENTS],
      required: true,
      description: "what to check",
    }),
    timeout: Flags.integer({ default: 3000, description: "milliseconds before the check counts as failed" }),
  };

  async run(): Promise<HealthResult> {
    const { flags } = await this.parse(Health);
    const env = loadEnv(process.env);
    const component = flags.component as HealthComponent;
    const problem = await probeComponent(component, env, flags.timeout);
    const result = { component, healthy: problem === undefined, detail: problem ?? "ok" };
    if (!this.jsonEnabled())
      this.log(`${component}: ${result.healthy ? "healthy" : `unhealthy (${problem})`}`);
    if (!result.healthy) process.exitCode = ExitCode.JobFailed;
    return result;
  }
}
