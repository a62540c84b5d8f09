/**
 * Dead letters: submits on sys.job.submit that could never be admitted. They are kept in the
 * store (so `cortex dlq list` can show them on either backend) and published on sys.job.dlq;
 * a retry re-validates the original request and admits it like any submit.
 */
import { createHash } from "node:crypto";
import { decodePacket, encodePacket, timestampToMs } from "../bus/codec.js";
import { clip } from "../core/clip.js";
import { type DeadLetter, deadLetterNotFound, newDeadLetterId } from "../core/dead-letter.js";
import { CortexError, ErrorCode } from "../core/errors.js";
import { Subjects } from "../core/subjects.js";
import type { BusPacket } from "../gen/cortex/v1/bus.js";
import type { Admission, Admitted } from "./admission.js";
import { busContext, busJob, busSubmitProblem, busTenant } from "./bus-submit.js";
import type { JobsDeps } from "./deps.js";

/** Larger originals are described, not copied: core NATS refuses payloads over ~1 MB. */
const MAX_COPIED_PACKET_BYTES = 256 * 1024;

/** Sender clocks this far off are not trusted for a letter's id. */
const MAX_SENDER_SKEW_MS = 24 * 3600 * 1000;

/**
 * The same submit delivered again (its term was lost) gets the same id, so it overwrites its
 * letter instead of adding one: the id is the packet's own time and a hash of its bytes.
 */
function letterId(packet: BusPacket, bytes: Uint8Array, at: number): string {
  const sent = timestampToMs(packet.createdAt);
  const trusted = sent !== undefined && sent <= at && at - sent <= MAX_SENDER_SKEW_MS;
  const tag = createHash("sha256").update(bytes).digest("hex").slice(0, 8);
  return trusted ? newDeadLetterId(sent, tag) : newDeadLetterId(at);
}

export function deadLetter(packet: BusPacket, subject: string, problem: CortexError, at: number): DeadLetter {
  const req = packet.payload?.$case === "jobRequest" ? packet.payload.jobRequest : undefined;
  const bytes = encodePacket(packet);
  const field = problem.details?.field;
  return {
    id: letterId(packet, bytes, at),
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
    tenant: clip(req ? busTenant(req) : "", 200),
    packet_bytes: bytes.length,
    ...(bytes.length <= MAX_COPIED_PACKET_BYTES ? { packet_b64: Buffer.from(bytes).toString("base64") } : {}),
  };
}

export interface RetryOptions {
  maxContextBytes: number;
  /** A worker of the topic's pool is live. */
  live(topic: string): boolean;
  /** The caller acts for this tenant only: the original must name it (the letter's copy is clipped). */
  tenant?: string;
}

export class DeadLetters {
  constructor(
    private readonly deps: JobsDeps,
    private readonly admission: Admission,
  ) {}

  /** Stored first: a bus outage then retries the submit, and the letter is kept either way. */
  async record(letter: DeadLetter): Promise<void> {
    await this.deps.store.putDeadLetter(letter);
    await this.deps.bus.publishRaw(Subjects.jobDlq, Buffer.from(JSON.stringify(letter), "utf8"));
  }

  /**
   * The original request admitted as a submit; INVALID_ARGUMENT (the first problem) when it
   * still is not valid. The letter is deleted once the job is admitted.
   */
  async retry(letter: DeadLetter, opts: RetryOptions): Promise<Admitted> {
    const packet = originalPacket(letter);
    const req = packet.payload?.$case === "jobRequest" ? packet.payload.jobRequest : undefined;
    if (req === undefined) throw notResubmittable(letter.id, "its packet holds no job request");
    if (opts.tenant !== undefined && busTenant(req) !== opts.tenant) throw deadLetterNotFound(letter.id);
    const problem = busSubmitProblem(packet.traceId, req, opts.maxContextBytes);
    if (problem !== undefined) throw problem;
    const given = busContext(req.contextJson);
    // A CortexOS v1 sender may have stored ctx:<id> itself; it is used as it is.
    const stored = given === undefined && (await this.deps.store.getContext(req.jobId)) !== undefined;
    const admitted = await this.admission.admit(busJob(packet.traceId, req, given ?? {}), {
      live: opts.live(req.topic),
      onSafetyDown: "defer",
      ...(stored ? { contextStored: true } : {}),
    });
    await this.deps.store.deleteDeadLetter(letter.id);
    return admitted;
  }
}

function originalPacket(letter: DeadLetter): BusPacket {
  if (letter.packet_b64 === undefined)
    throw notResubmittable(letter.id, `its packet (${letter.packet_bytes} bytes) was too large to keep`);
  try {
    return decodePacket(Buffer.from(letter.packet_b64, "base64"));
  } catch (cause) {
    throw new CortexError(
      ErrorCode.DecodeFailed,
      `dead letter ${letter.id}: the kept packet cannot be decoded`,
      {
        hint: "Submit the job again from its sender.",
        details: { id: letter.id },
        cause,
      },
    );
  }
}

function notResubmittable(id: string, why: string): CortexError {
  return new CortexError(ErrorCode.InvalidArgument, `dead letter ${id} cannot be retried: ${why}`, {
    hint: "Submit the job again from its sender.",
    details: { field: "id", id },
  });
}
