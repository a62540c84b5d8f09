/**
 * Submits on sys.job.submit that can never be admitted (bad id, wildcard topic, out of range,
 * too large) go to sys.job.dlq once, as a JSON document with the reason and the original
 * packet, and are then terminated: retrying them cannot help.
 */
import type { Bus } from "../../bus/bus.js";
import { encodePacket } from "../../bus/codec.js";
import { clip } from "../../core/clip.js";
import { type CortexError, ErrorCode, isCortexError } from "../../core/errors.js";
import { newTraceId } from "../../core/ids.js";
import { invalidField, type JobLimits, validateJobFields } from "../../core/job-validation.js";
import { Subjects } from "../../core/subjects.js";
import type { BusPacket, JobRequest } from "../../gen/cortex/v1/bus.js";

/** Larger originals are described, not copied: core NATS refuses payloads over ~1 MB. */
const MAX_COPIED_PACKET_BYTES = 256 * 1024;

/** The shared job validation applied to a bus JobRequest; the first problem, or undefined. */
export function busSubmitProblem(
  traceId: string,
  req: JobRequest,
  maxContextBytes: number,
): CortexError | undefined {
  const limits: JobLimits = { maxContextBytes, v1TraceIds: true };
  try {
    validateJobFields(
      {
        jobId: req.jobId,
        // Empty means "make one" on adoption, as for the gateway.
        traceId: traceId === "" ? newTraceId() : traceId,
        topic: req.topic,
        tenant: "", // carried in env_vars, counted there
        adapterId: req.adapterId,
        parentJobId: req.parentJobId,
        workflowId: req.workflowId,
        stepIndex: req.stepIndex,
        envVars: req.envVars,
        prompt: "",
        contextJson: req.contextJson,
      },
      limits,
    );
    // Set by the scheduler on dispatch; a sender's value is ignored, but never a negative one.
    if (req.attempt < 0) return invalidField("attempt", `${req.attempt} is out of range`, "Leave it 0.");
    if (req.timeoutMs < 0)
      return invalidField("timeout_ms", `${req.timeoutMs} is out of range`, "Use 0 or more.");
    return undefined;
  } catch (err) {
    if (isCortexError(err, ErrorCode.InvalidArgument)) return err;
    throw err;
  }
}

/** What sys.job.dlq carries; `packet_b64` resubmits the original as is (when copied). */
export interface DeadLetter {
  kind: "submit_rejected";
  code: string;
  field: string;
  reason: string;
  hint: string;
  subject: string;
  at_ms: number;
  job_id: string;
  topic: string;
  trace_id: string;
  sender_id: string;
  packet_bytes: number;
  packet_b64?: string;
}

export function deadLetter(packet: BusPacket, subject: string, problem: CortexError, at: number): DeadLetter {
  const req = packet.payload?.$case === "jobRequest" ? packet.payload.jobRequest : undefined;
  const bytes = encodePacket(packet);
  const field = problem.details?.field;
  return {
    kind: "submit_rejected",
    code: problem.code,
    field: typeof field === "string" ? field : "",
    reason: problem.message,
    hint: problem.hint ?? "",
    subject,
    at_ms: at,
    job_id: clip(req?.jobId ?? "", 200),
    topic: clip(req?.topic ?? "", 200),
    trace_id: clip(packet.traceId, 200),
    sender_id: clip(packet.senderId, 200),
    packet_bytes: bytes.length,
    ...(bytes.length <= MAX_COPIED_PACKET_BYTES ? { packet_b64: Buffer.from(bytes).toString("base64") } : {}),
  };
}

export async function publishDeadLetter(bus: Bus, letter: DeadLetter): Promise<void> {
  await bus.publishRaw(Subjects.jobDlq, Buffer.from(JSON.stringify(letter), "utf8"));
}
