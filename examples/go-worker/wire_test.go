package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// The golden fixtures were written by protoc (test/fixtures/golden/make-golden.sh).
func golden(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "test", "fixtures", "golden", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDecodeGoldenJobRequest(t *testing.T) {
	p, err := decodePacket(golden(t, "job-request.bin"))
	if err != nil || p.PayloadField != packetJobRequest || p.TraceID != "4bf92f3577b34da6a3ce929d0e0e4736" {
		t.Fatalf("packet: %+v %v", p, err)
	}
	r, err := decodeJobRequest(p.Payload)
	if err != nil {
		t.Fatal(err)
	}
	if r.JobID != "7d444840-9dc0-11d1-b245-5ffdce74fad2" || r.Topic != "job.code.llm" ||
		r.ContextPtr != "redis://ctx:7d444840-9dc0-11d1-b245-5ffdce74fad2" ||
		r.EnvVars["tenant_id"] != "acme" || r.EnvVars["user"] != "alice" ||
		r.Attempt != 2 || r.TimeoutMs != 5000000000 {
		t.Fatalf("request: %+v", r)
	}
}

func TestEncodeGoldenJobResult(t *testing.T) {
	res := encodeJobResult(jobResult{
		JobID: "7d444840-9dc0-11d1-b245-5ffdce74fad2", Status: statusFailed,
		ResultPtr: "redis://res:7d444840-9dc0-11d1-b245-5ffdce74fad2", WorkerID: "worker-code-llm-1",
		ExecutionMs: 1234567890123, Attempt: 3, ErrorMessage: "model timed out — naïve retry failed",
	})
	got := encodePacket("4bf92f3577b34da6a3ce929d0e0e4736", "worker-code-llm-1", packetJobResult, res, time.Unix(1735689660, 500))
	if want := golden(t, "job-result.bin"); !bytes.Equal(got, want) {
		t.Fatalf("job result:\n got %x\nwant %x", got, want)
	}
}

func TestEncodeGoldenHeartbeat(t *testing.T) {
	hb := encodeHeartbeat(heartbeat{
		WorkerID: "worker-code-llm-1", Region: "eu-west-1", Type: "gpu", CPULoad: 42.5, GPUUtilization: 87.25,
		ActiveJobs: 2, Capabilities: []string{"code.patch", "chat"}, Pool: "code-llm", MaxParallelJobs: 4,
	})
	got := encodePacket("00f067aa0ba902b7a3ce929d0e0e4736", "worker-code-llm-1", packetHeartbeat, hb, time.Unix(1735689605, 999999999))
	if want := golden(t, "heartbeat.bin"); !bytes.Equal(got, want) {
		t.Fatalf("heartbeat:\n got %x\nwant %x", got, want)
	}
}
