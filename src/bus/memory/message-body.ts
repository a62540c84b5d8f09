/**
 * A published message as the in-process bus keeps it: a private copy of the packet, or the
 * raw bytes. Every receiver gets a copy of its own (BusPacket.fromPartial is a deep copy and
 * costs a fraction of an encode plus a decode); bytes are decoded per receiver, so what fails
 * to decode is counted exactly as on NATS.
 */
import { BusPacket } from "../../gen/cortex/v1/bus.js";
import { decodePacket, encodePacket } from "../codec.js";

export class MessageBody {
  private constructor(
    private readonly snapshot: BusPacket | undefined,
    private bytes: Uint8Array | undefined,
  ) {}

  /** Copies `packet` now: later changes by the sender reach no receiver. */
  static ofPacket(packet: BusPacket): MessageBody {
    return new MessageBody(BusPacket.fromPartial(packet), undefined);
  }

  /** Copies `data` now, as a socket write would. */
  static ofBytes(data: Uint8Array): MessageBody {
    return new MessageBody(undefined, data.slice());
  }

  /** A packet of the caller's own; throws DECODE_FAILED for bytes that are not a BusPacket. */
  packet(): BusPacket {
    if (this.snapshot !== undefined) return BusPacket.fromPartial(this.snapshot);
    return decodePacket(this.bytes as Uint8Array);
  }

  /** Bytes of the caller's own (a packet is encoded once, on first use). */
  data(): Uint8Array {
    this.bytes ??= encodePacket(this.snapshot as BusPacket);
    return this.bytes.slice();
  }
}
