/**
 * Wire compatibility against bytes produced by protoc's own encoder (C++, independent of
 * ts-proto). The .bin files are committed; test/fixtures/golden/make-golden.sh only
 * regenerates them. Expected values are literals here, never read back from a decoder,
 * and the field numbers are pinned by hand-crafted tag bytes, so renumbering a field in
 * proto/ (and regenerating src/gen) breaks this test instead of silently breaking
 * CortexOS v1 senders and workers.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { decodePacket, encodePacket } from "../../src/bus/codec.js";
import { BusPacket, JobPriority, JobStatus } from "../../src/gen/cortex/v1/bus.js";

const utf8 = (s: string): number[] => [...new TextEncoder().encode(s)];

/** Base-128 varint, written out by hand so the test does not trust the library's writer. */
function varint(n: number): number[] {
  const out: number[] = [];
  let v = BigInt(n);
  do {
    let byte = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) byte |= 0x80;
    out.push(byte);
  } while (v > 0n);
  return out;
}

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_LEN = 2;
const WIRE_FIXED32 = 5;
const tag = (field: number, wireType: number): number[] => varint((field << 3) | wireType);
const lenField = (field: number, bytes: number[]): number[] => [
  ...tag(field, WIRE_LEN),
  ...varint(bytes.length),
  ...bytes,
];

interface WireField {
  field: number;
  wireType: number;
  /** the raw tag bytes as they appear on the wire */
  tag: number[];
  /** payload of a length-delimited field; the raw value bytes of any other field */
  body: Uint8Array;
}

/** Minimal wire walker (top level of one message), independent of ts-proto. */
function walk(buf: Uint8Array): WireField[] {
  const fields: WireField[] = [];
  let pos = 0;
  const readVarint = (): bigint => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      const b = buf[pos++];
      if (b === undefined) throw new Error("truncated varint");
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result;
      shift += 7n;
    }
  };
  while (pos < buf.length) {
    const start = pos;
    const key = Number(readVarint());
    const tagBytes = [...buf.subarray(start, pos)];
    const wireType = key & 7;
    let valueStart = pos;
    if (wireType === WIRE_VARINT) readVarint();
    else if (wireType === WIRE_FIXED64) pos += 8;
    else if (wireType === WIRE_FIXED32) pos += 4;
    else if (wireType === WIRE_LEN) {
      const len = Number(readVarint());
      valueStart = pos;
      pos += len;
    } else throw new Error(`unexpected wire type ${wireType}`);
    if (pos > buf.length) throw new Error("truncated field");
    const body = buf.subarray(valueStart, pos);
    fields.push({ field: key >>> 3, wireType, tag: tagBytes, body });
  }
  return fields;
}

const fieldNumbers = (buf: Uint8Array): number[] => walk(buf).map((f) => f.field);

function nested(buf: Uint8Array, field: number): Uint8Array {
  const found = walk(buf).find((f) => f.field === field);
  if (!found) throw new Error(`field ${field} not present`);
  return found.body;
}

function golden(name: string): Uint8Array {
  return new Uint8Array(readFileSync(new URL(`../fixtures/golden/${name}.bin`, import.meta.url)));
}

// --- expected values: literals mirroring the .txtpb inputs --------------------------------

const TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";
const JOB_ID = "7d444840-9dc0-11d1-b245-5ffdce74fad2";

const jobRequestPacket: BusPacket = {
  traceId: TRACE_ID,
  senderId: "gateway-1",
  createdAt: { seconds: 1735689600, nanos: 123000000 },
  protocolVersion: 1,
  traceparent: "",
  payload: {
    $case: "jobRequest",
    jobRequest: {
      jobId: JOB_ID,
      topic: "job.code.llm",
      priority: JobPriority.JOB_PRIORITY_CRITICAL,
      contextPtr: `redis://ctx:${JOB_ID}`,
      adapterId: "ollama-qwen",
      envVars: { tenant_id: "acme", user: "alice" },
      parentJobId: "0f8fad5b-d9cb-469f-a165-70867728950e",
      workflowId: "wf-code-review",
      stepIndex: 3,
      attempt: 2,
      timeoutMs: 5000000000,
      contextJson: "",
    },
  },
};

const jobResultPacket: BusPacket = {
  traceId: TRACE_ID,
  senderId: "worker-code-llm-1",
  createdAt: { seconds: 1735689660, nanos: 500 },
  protocolVersion: 1,
  traceparent: "",
  payload: {
    $case: "jobResult",
    jobResult: {
      jobId: JOB_ID,
      status: JobStatus.JOB_STATUS_FAILED,
      resultPtr: `redis://res:${JOB_ID}`,
      workerId: "worker-code-llm-1",
      executionMs: 1234567890123,
      attempt: 3,
      errorMessage: "model timed out \u2014 na\u00efve retry failed",
      finished: false,
    },
  },
};

const heartbeatPacket: BusPacket = {
  traceId: "00f067aa0ba902b7a3ce929d0e0e4736",
  senderId: "worker-code-llm-1",
  createdAt: { seconds: 1735689605, nanos: 999999999 },
  protocolVersion: 1,
  traceparent: "",
  payload: {
    $case: "heartbeat",
    heartbeat: {
      workerId: "worker-code-llm-1",
      region: "eu-west-1",
      type: "gpu",
      cpuLoad: 42.5,
      gpuUtilization: 87.25,
      activeJobs: 2,
      capabilities: ["code.patch", "chat"],
      pool: "code-llm",
      maxParallelJobs: 4,
    },
  },
};

const fixtures = [
  { name: "job-request", expected: jobRequestPacket },
  { name: "job-result", expected: jobResultPacket },
  { name: "heartbeat", expected: heartbeatPacket },
] as const;

const codecs = [
  {
    name: "generated BusPacket",
    encode: (p: BusPacket) => BusPacket.encode(p).finish(),
    decode: (b: Uint8Array) => BusPacket.decode(b),
  },
  { name: "src/bus/codec", encode: encodePacket, decode: decodePacket },
] as const;

describe.each(codecs)("golden BusPacket bytes via $name", (codec) => {
  describe.each(fixtures)("fixture $name", ({ name, expected }) => {
    const bytes = golden(name);

    it("decodes to exactly the expected packet", () => {
      // toStrictEqual: every field, no extra or missing keys, no undefined-vs-absent slack
      expect(codec.decode(bytes)).toStrictEqual(expected);
    });

    it("re-encodes the decoded packet byte for byte", () => {
      expect([...codec.encode(codec.decode(bytes))]).toEqual([...bytes]);
    });

    it("encodes the literal packet to the same bytes protoc wrote", () => {
      expect([...codec.encode(expected)]).toEqual([...bytes]);
    });
  });
});

describe("field numbers on the wire (CortexOS v1 numbers never change)", () => {
  it("BusPacket header and job_request = 10 / job_id = 1 sit at the expected offsets", () => {
    const bytes = golden("job-request");
    const timestamp = [
      ...tag(1, WIRE_VARINT),
      ...varint(1735689600),
      ...tag(2, WIRE_VARINT),
      ...varint(123000000),
    ];
    const jobRequestBody = nested(bytes, 10);
    const prefix = [
      ...lenField(1, utf8(TRACE_ID)), // trace_id = 1
      ...lenField(2, utf8("gateway-1")), // sender_id = 2
      ...lenField(3, timestamp), // created_at = 3
      ...tag(4, WIRE_VARINT), // protocol_version = 4
      1,
      ...tag(10, WIRE_LEN), // job_request = 10
      ...varint(jobRequestBody.length),
      ...lenField(1, utf8(JOB_ID)), // job_id = 1, first field of JobRequest
    ];
    // the hand-crafted tag bytes, spelled out, so a reader can check them against the table
    expect(tag(10, WIRE_LEN)).toEqual([0x52]);
    expect(tag(1, WIRE_LEN)).toEqual([0x0a]);
    expect([...bytes.subarray(0, prefix.length)]).toEqual(prefix);
  });

  it("Heartbeat ends with pool = 11 and max_parallel_jobs = 12", () => {
    const bytes = golden("heartbeat");
    expect(tag(12, WIRE_LEN)).toEqual([0x62]); // heartbeat = 12 in the BusPacket oneof
    expect(tag(11, WIRE_LEN)).toEqual([0x5a]);
    expect(tag(12, WIRE_VARINT)).toEqual([0x60]);
    const suffix = [...lenField(11, utf8("code-llm")), ...tag(12, WIRE_VARINT), 4];
    expect([...bytes.subarray(bytes.length - suffix.length)]).toEqual(suffix);
    expect(walk(bytes).at(-1)?.tag).toEqual([0x62]);
  });

  it("cortex additions sit at >= 20 as multi-byte tags", () => {
    expect(tag(20, WIRE_VARINT)).toEqual([0xa0, 0x01]);
    expect(tag(21, WIRE_VARINT)).toEqual([0xa8, 0x01]);
    expect(tag(21, WIRE_LEN)).toEqual([0xaa, 0x01]);
    const req = walk(nested(golden("job-request"), 10));
    expect(req.at(-2)?.tag).toEqual([0xa0, 0x01]); // attempt = 20
    expect(req.at(-1)?.tag).toEqual([0xa8, 0x01]); // timeout_ms = 21
    const res = walk(nested(golden("job-result"), 11));
    expect(res.at(-1)?.tag).toEqual([0xaa, 0x01]); // error_message = 21
  });

  it("every field of every message carries its table number and wire type", () => {
    const header = [1, 2, 3, 4];
    expect(fieldNumbers(golden("job-request"))).toEqual([...header, 10]);
    expect(fieldNumbers(golden("job-result"))).toEqual([...header, 11]);
    expect(fieldNumbers(golden("heartbeat"))).toEqual([...header, 12]);

    // JobRequest: env_vars (6) appears once per map entry
    const req = walk(nested(golden("job-request"), 10));
    expect(req.map((f) => [f.field, f.wireType])).toEqual([
      [1, WIRE_LEN],
      [2, WIRE_LEN],
      [3, WIRE_VARINT],
      [4, WIRE_LEN],
      [5, WIRE_LEN],
      [6, WIRE_LEN],
      [6, WIRE_LEN],
      [10, WIRE_LEN],
      [11, WIRE_LEN],
      [12, WIRE_VARINT],
      [20, WIRE_VARINT],
      [21, WIRE_VARINT],
    ]);
    // map entries are {key = 1, value = 2}
    const entry = req.find((f) => f.field === 6);
    expect(entry && [...entry.body]).toEqual([
      ...lenField(1, utf8("tenant_id")),
      ...lenField(2, utf8("acme")),
    ]);

    const res = walk(nested(golden("job-result"), 11));
    expect(res.map((f) => [f.field, f.wireType])).toEqual([
      [1, WIRE_LEN],
      [2, WIRE_VARINT],
      [3, WIRE_LEN],
      [4, WIRE_LEN],
      [5, WIRE_VARINT],
      [20, WIRE_VARINT],
      [21, WIRE_LEN],
    ]);

    const hb = walk(nested(golden("heartbeat"), 12));
    expect(hb.map((f) => [f.field, f.wireType])).toEqual([
      [1, WIRE_LEN],
      [2, WIRE_LEN],
      [3, WIRE_LEN],
      [4, WIRE_FIXED32],
      [5, WIRE_FIXED32],
      [6, WIRE_VARINT],
      [7, WIRE_LEN],
      [7, WIRE_LEN],
      [11, WIRE_LEN],
      [12, WIRE_VARINT],
    ]);

    // created_at is google.protobuf.Timestamp {seconds = 1, nanos = 2}
    expect(fieldNumbers(nested(golden("heartbeat"), 3))).toEqual([1, 2]);
  });

  it("floats are IEEE-754 single precision, little endian (cpu_load = 4, gpu_utilization = 5)", () => {
    const hb = walk(nested(golden("heartbeat"), 12));
    const float = (field: number): number | undefined => {
      const f = hb.find((x) => x.field === field);
      return f && new DataView(f.body.buffer, f.body.byteOffset, 4).getFloat32(0, true);
    };
    expect(hb.find((x) => x.field === 4)?.tag).toEqual([0x25]);
    expect(float(4)).toBe(42.5);
    expect(float(5)).toBe(87.25);
  });
});
