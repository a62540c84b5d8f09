// The cortex.v1 bus messages this worker uses, encoded and decoded by field number as
// docs/worker-protocol.md section 4 lists them (no generated code, no protoc).
package main

import (
	"errors"
	"fmt"
	"math"
	"time"

	"google.golang.org/protobuf/encoding/protowire"
)

// BusPacket payload field numbers (the oneof).
const (
	packetJobRequest = 10
	packetJobResult  = 11
	packetHeartbeat  = 12
	packetJobCancel  = 21
)

// JobStatus values.
const (
	statusCompleted = 1
	statusFailed    = 2
	statusTimeout   = 3
	statusCancelled = 5
)

type jobRequest struct {
	JobID       string
	Topic       string
	ContextPtr  string
	EnvVars     map[string]string
	Attempt     int32
	TimeoutMs   int64
	ContextJSON string
}

type jobResult struct {
	JobID        string
	Status       uint64
	ResultPtr    string
	WorkerID     string
	ExecutionMs  int64
	Attempt      int32
	ErrorMessage string
}

type heartbeat struct {
	WorkerID        string
	Region          string
	Type            string
	CPULoad         float32
	GPUUtilization  float32
	ActiveJobs      int32
	Capabilities    []string
	Pool            string
	MaxParallelJobs int32
}

// packet is a decoded BusPacket: its header and the raw bytes of its payload.
type packet struct {
	TraceID      string
	SenderID     string
	PayloadField protowire.Number
	Payload      []byte
}

var errTruncated = errors.New("truncated protobuf message")

// eachField calls fn for every field of a message; unknown fields are the caller's to skip.
func eachField(b []byte, fn func(num protowire.Number, typ protowire.Type, v []byte) error) error {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return protowire.ParseError(n)
		}
		b = b[n:]
		m := protowire.ConsumeFieldValue(num, typ, b)
		if m < 0 {
			return protowire.ParseError(m)
		}
		if err := fn(num, typ, b[:m]); err != nil {
			return err
		}
		b = b[m:]
	}
	return nil
}

func bytesOf(typ protowire.Type, v []byte) ([]byte, error) {
	if typ != protowire.BytesType {
		return nil, fmt.Errorf("wire type %d where length-delimited was expected", typ)
	}
	s, n := protowire.ConsumeBytes(v)
	if n < 0 {
		return nil, errTruncated
	}
	return s, nil
}

func varintOf(typ protowire.Type, v []byte) (uint64, error) {
	if typ != protowire.VarintType {
		return 0, fmt.Errorf("wire type %d where varint was expected", typ)
	}
	x, n := protowire.ConsumeVarint(v)
	if n < 0 {
		return 0, errTruncated
	}
	return x, nil
}

func decodePacket(b []byte) (packet, error) {
	var p packet
	err := eachField(b, func(num protowire.Number, typ protowire.Type, v []byte) error {
		switch num {
		case 1, 2:
			s, err := bytesOf(typ, v)
			if err != nil {
				return err
			}
			if num == 1 {
				p.TraceID = string(s)
			} else {
				p.SenderID = string(s)
			}
		case packetJobRequest, packetJobResult, packetHeartbeat, 13, 14, 20, packetJobCancel:
			s, err := bytesOf(typ, v)
			if err != nil {
				return err
			}
			p.PayloadField, p.Payload = num, s
		}
		return nil
	})
	return p, err
}

func decodeJobRequest(b []byte) (jobRequest, error) {
	r := jobRequest{EnvVars: map[string]string{}}
	err := eachField(b, func(num protowire.Number, typ protowire.Type, v []byte) error {
		switch num {
		case 1, 2, 4, 22:
			s, err := bytesOf(typ, v)
			if err != nil {
				return err
			}
			switch num {
			case 1:
				r.JobID = string(s)
			case 2:
				r.Topic = string(s)
			case 4:
				r.ContextPtr = string(s)
			case 22:
				r.ContextJSON = string(s)
			}
		case 6:
			entry, err := bytesOf(typ, v)
			if err != nil {
				return err
			}
			var key, value string
			if err := eachField(entry, func(n protowire.Number, t protowire.Type, ev []byte) error {
				s, err := bytesOf(t, ev)
				if err != nil {
					return err
				}
				if n == 1 {
					key = string(s)
				} else if n == 2 {
					value = string(s)
				}
				return nil
			}); err != nil {
				return err
			}
			r.EnvVars[key] = value
		case 20, 21:
			x, err := varintOf(typ, v)
			if err != nil {
				return err
			}
			if num == 20 {
				r.Attempt = int32(x)
			} else {
				r.TimeoutMs = int64(x)
			}
		}
		return nil
	})
	return r, err
}

// decodeJobCancel returns JobCancel.job_id (1) and reason (2).
func decodeJobCancel(b []byte) (jobID, reason string, err error) {
	err = eachField(b, func(num protowire.Number, typ protowire.Type, v []byte) error {
		if num != 1 && num != 2 {
			return nil
		}
		s, err := bytesOf(typ, v)
		if err != nil {
			return err
		}
		if num == 1 {
			jobID = string(s)
		} else {
			reason = string(s)
		}
		return nil
	})
	return jobID, reason, err
}

func appendString(b []byte, num protowire.Number, s string) []byte {
	if s == "" {
		return b
	}
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendString(b, s)
}

func appendVarint(b []byte, num protowire.Number, x uint64) []byte {
	if x == 0 {
		return b
	}
	b = protowire.AppendTag(b, num, protowire.VarintType)
	return protowire.AppendVarint(b, x)
}

func appendFloat(b []byte, num protowire.Number, f float32) []byte {
	if f == 0 {
		return b
	}
	b = protowire.AppendTag(b, num, protowire.Fixed32Type)
	return protowire.AppendFixed32(b, math.Float32bits(f))
}

func appendMessage(b []byte, num protowire.Number, m []byte) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendBytes(b, m)
}

// encodePacket wraps an encoded payload in a BusPacket with protocol_version 1.
func encodePacket(traceID, senderID string, payloadField protowire.Number, payload []byte, now time.Time) []byte {
	var ts []byte
	ts = appendVarint(ts, 1, uint64(now.Unix()))
	ts = appendVarint(ts, 2, uint64(now.Nanosecond()))
	var b []byte
	b = appendString(b, 1, traceID)
	b = appendString(b, 2, senderID)
	b = appendMessage(b, 3, ts)
	b = appendVarint(b, 4, 1)
	return appendMessage(b, payloadField, payload)
}

func encodeJobResult(r jobResult) []byte {
	var b []byte
	b = appendString(b, 1, r.JobID)
	b = appendVarint(b, 2, r.Status)
	b = appendString(b, 3, r.ResultPtr)
	b = appendString(b, 4, r.WorkerID)
	b = appendVarint(b, 5, uint64(r.ExecutionMs))
	// int32 fields are sign-extended varints; attempts are positive.
	b = appendVarint(b, 20, uint64(int64(r.Attempt)))
	// finished (22) stays unset: this worker does not record the end in the store.
	return appendString(b, 21, r.ErrorMessage)
}

func encodeHeartbeat(h heartbeat) []byte {
	var b []byte
	b = appendString(b, 1, h.WorkerID)
	b = appendString(b, 2, h.Region)
	b = appendString(b, 3, h.Type)
	b = appendFloat(b, 4, h.CPULoad)
	b = appendFloat(b, 5, h.GPUUtilization)
	b = appendVarint(b, 6, uint64(int64(h.ActiveJobs)))
	for _, c := range h.Capabilities {
		b = appendString(b, 7, c)
	}
	b = appendString(b, 11, h.Pool)
	return appendVarint(b, 12, uint64(int64(h.MaxParallelJobs)))
}
