/**
 * BusPacket wire codec: protobuf bytes on every bus subject, so CortexOS v1 senders and
 * workers interoperate. Decoding failures become DECODE_FAILED so callers can count and
 * drop bad input without inspecting protobuf internals.
 */
import { CortexError, ErrorCode } from "../core/errors.js";
import { BusPacket } from "../gen/cortex/v1/bus.js";
import type { Timestamp } from "../gen/google/protobuf/timestamp.js";

export const PROTOCOL_VERSION = 1;

export type PacketPayload = NonNullable<BusPacket["payload"]>;

export interface NewPacketOptions {
  traceId: string;
  senderId: string;
  /** The sender's span (W3C traceparent), so the receiver's spans join the trace. */
  traceparent?: string;
}

export function encodePacket(p: BusPacket): Uint8Array {
  return BusPacket.encode(p).finish();
}

export function decodePacket(data: Uint8Array): BusPacket {
  try {
    return BusPacket.decode(data);
  } catch (cause) {
    throw new CortexError(ErrorCode.DecodeFailed, `cannot decode BusPacket (${data.length} bytes)`, {
      hint: "The sender does not speak the cortex.v1 BusPacket protocol; check what publishes on this subject.",
      cause,
    });
  }
}

export function timestampFromMs(ms: number): Timestamp {
  const seconds = Math.floor(ms / 1000);
  return { seconds, nanos: (ms - seconds * 1000) * 1_000_000 };
}

export function timestampToMs(ts: Timestamp | undefined): number | undefined {
  return ts === undefined ? undefined : ts.seconds * 1000 + Math.floor(ts.nanos / 1_000_000);
}

/** A packet stamped with the current time and protocol version 1. */
export function newPacket(payload: PacketPayload, opts: NewPacketOptions): BusPacket {
  return {
    traceId: opts.traceId,
    senderId: opts.senderId,
    createdAt: timestampFromMs(Date.now()),
    protocolVersion: PROTOCOL_VERSION,
    payload,
    traceparent: opts.traceparent ?? "",
  };
}
