/**
 * An upper bound of a packet's protobuf size without encoding it: every field costs at most
 * 16 bytes of tag, length and number, and a string at most 3 bytes per UTF-16 unit. Only a
 * packet whose bound passes the payload limit is encoded to measure it exactly.
 */
const FIELD_OVERHEAD = 16;

export function sizeBound(value: unknown): number {
  if (typeof value === "string") return FIELD_OVERHEAD + value.length * 3;
  if (value instanceof Uint8Array) return FIELD_OVERHEAD + value.length;
  if (Array.isArray(value)) {
    let n = FIELD_OVERHEAD;
    for (const v of value) n += sizeBound(v);
    return n;
  }
  if (typeof value === "object" && value !== null) {
    let n = FIELD_OVERHEAD;
    // Keys cost nothing on the wire except as map keys; counting them keeps the bound simple and safe.
    for (const k in value) n += k.length * 3 + sizeBound((value as Record<string, unknown>)[k]);
    return n;
  }
  return FIELD_OVERHEAD;
}
