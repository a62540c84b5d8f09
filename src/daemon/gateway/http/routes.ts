/**
 * The REST routes: thin adapters from HTTP to the same submit/query functions the gRPC
 * API calls, so both answer alike. Errors are thrown and answered by the server's error
 * handler as `{error: {code, message}}`.
 */
import type { FastifyInstance, FastifyRequest } from "fastify";
import { TRACEPARENT_HEADER } from "../../../core/traceparent.js";
import type { WorkerRegistry } from "../../../core/worker-registry.js";
import type { GetStatusResponse } from "../../../gen/cortex/v1/api.js";
import { decideApproval, listApprovals } from "../approvals.js";
import type { Principal } from "../auth.js";
import { listDeadLetters, retryDeadLetter } from "../dead-letters.js";
import { cancelJob, getJob, listJobs, type QueryDeps, traceJobs } from "../job-queries.js";
import { type SubmitLimits, submitJob } from "../submit-job.js";
import { listWorkers } from "../worker-queries.js";
import {
  approvalsPageJson,
  deadLettersPageJson,
  jobDetailJson,
  jobsPageJson,
  protoJson,
  workersJson,
} from "./json.js";
import {
  cancelRequest,
  decideApprovalRequest,
  getJobRequest,
  listApprovalsRequest,
  listDeadLettersRequest,
  listJobsRequest,
  submitRequest,
  workersPool,
} from "./params.js";
import { registerPolicyRoutes } from "./policy-routes.js";
import { readiness } from "./probes.js";

export interface RouteDeps extends QueryDeps {
  limits: SubmitLimits;
  registry: WorkerRegistry;
  poolTopics: Readonly<Record<string, string>>;
  principalOf(req: FastifyRequest): Principal;
  /** The gateway checks API keys (approvals need a decider's identity). */
  keysEnabled: boolean;
  status(): Promise<GetStatusResponse>;
}

export const Routes = {
  health: "/health",
  ready: "/ready",
  jobs: "/api/v1/jobs",
  job: "/api/v1/jobs/:id",
  cancel: "/api/v1/jobs/:id/cancel",
  approve: "/api/v1/jobs/:id/approve",
  reject: "/api/v1/jobs/:id/reject",
  approvals: "/api/v1/approvals",
  workers: "/api/v1/workers",
  status: "/api/v1/status",
  trace: "/api/v1/traces/:id",
  stream: "/api/v1/stream",
  deadLetters: "/api/v1/dead-letters",
  retryDeadLetter: "/api/v1/dead-letters/:id/retry",
} as const;

/** Routes a caller reaches without an API key: orchestrators' probes. */
export const OPEN_ROUTES: ReadonlySet<string> = new Set([Routes.health, Routes.ready]);

type IdParams = { Params: { id: string } };

export function registerRoutes(app: FastifyInstance, deps: RouteDeps): void {
  app.get(Routes.health, async () => ({ status: "ok" }));

  app.get(Routes.ready, async (_req, reply) => {
    const { ready, body } = await readiness(deps);
    return reply.code(ready ? 200 : 503).send(body);
  });

  app.get(Routes.jobs, async (req) => {
    const res = await listJobs(deps, listJobsRequest(req.query), deps.principalOf(req));
    return jobsPageJson(res);
  });

  app.post(Routes.jobs, async (req, reply) => {
    const traceparent = req.headers[TRACEPARENT_HEADER];
    const res = await submitJob(
      deps,
      submitRequest(req.body),
      deps.principalOf(req),
      false,
      typeof traceparent === "string" ? traceparent : "",
    );
    return reply.code(201).send({ job_id: res.jobId, trace_id: res.traceId });
  });

  app.get<IdParams>(Routes.job, async (req) => {
    const { req: getReq, withContext } = getJobRequest(req.params.id, req.query);
    return jobDetailJson(await getJob(deps, getReq, deps.principalOf(req)), withContext);
  });

  app.post<IdParams>(Routes.cancel, async (req) => {
    const res = await cancelJob(deps, cancelRequest(req.params.id, req.body), deps.principalOf(req));
    return protoJson(res);
  });

  app.get(Routes.approvals, async (req) => {
    const res = await listApprovals(deps, listApprovalsRequest(req.query), deps.principalOf(req));
    return approvalsPageJson(res);
  });

  for (const [route, approve] of [
    [Routes.approve, true],
    [Routes.reject, false],
  ] as const) {
    app.post<IdParams>(route, async (req) => {
      const decide = decideApprovalRequest(req.params.id, approve, req.body);
      const res = await decideApproval(deps, decide, deps.principalOf(req));
      return protoJson(res);
    });
  }

  app.get(Routes.workers, async (req) => workersJson(listWorkers(deps, { pool: workersPool(req.query) })));

  // Any key may read it, as GetStatus over gRPC: the URLs in it carry no credentials.
  app.get(Routes.status, async () => protoJson(await deps.status()));

  app.get<IdParams>(Routes.trace, async (req) => {
    const jobs = await traceJobs(deps, req.params.id, deps.principalOf(req));
    return { trace_id: req.params.id, jobs: protoJson(jobs) };
  });

  app.get(Routes.deadLetters, async (req) => {
    const res = await listDeadLetters(deps, listDeadLettersRequest(req.query), deps.principalOf(req));
    return deadLettersPageJson(res);
  });

  app.post<IdParams>(Routes.retryDeadLetter, async (req) => {
    const res = await retryDeadLetter(deps, { id: req.params.id }, deps.principalOf(req));
    return { job_id: res.jobId, trace_id: res.traceId };
  });

  registerPolicyRoutes(app, deps);
}
