package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gomodule/redigo/redis"
	"github.com/nats-io/nats.go"
)

// Results outlive the job at least this long; the scheduler sets the store's retention
// on res:<id> when it records the terminal state.
const resultTTLSeconds = 24 * 60 * 60

// stopCause says why a running job's context was cancelled from outside.
type stopCause struct {
	once   sync.Once
	reason string
	drain  bool
}

// handle runs one delivery to its end: result published and message acked, or handed back.
func (w *worker) handle(m *nats.Msg) {
	p, err := decodePacket(m.Data)
	if err != nil || p.PayloadField != packetJobRequest {
		log.Printf("not a job request (%v): dropped", err)
		_ = m.Term()
		return
	}
	req, err := decodeJobRequest(p.Payload)
	if err != nil || req.JobID == "" {
		log.Printf("undecodable job request (%v): dropped", err)
		_ = m.Term()
		return
	}
	atomic.AddInt32(&w.active, 1)
	defer atomic.AddInt32(&w.active, -1)

	// working: keep the message ours while the job runs (ack_wait/3).
	keepAlive := make(chan struct{})
	defer close(keepAlive)
	go func() {
		t := time.NewTicker(w.cfg.AckWait / 3)
		defer t.Stop()
		for {
			select {
			case <-keepAlive:
				return
			case <-t.C:
				_ = m.InProgress()
			}
		}
	}()

	timeout := w.cfg.DefaultTimeout
	if req.TimeoutMs > 0 {
		timeout = time.Duration(req.TimeoutMs) * time.Millisecond
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cause := &stopCause{}
	w.mu.Lock()
	w.running[req.JobID] = func(reason string) {
		cause.once.Do(func() {
			cause.reason = reason
			cause.drain = reason == "worker is shutting down"
		})
		cancel()
	}
	w.mu.Unlock()
	defer func() {
		w.mu.Lock()
		delete(w.running, req.JobID)
		w.mu.Unlock()
	}()

	started := time.Now()
	input, err := w.readContext(req)
	if err != nil {
		log.Printf("job %s: context not read, handed back: %v", req.JobID, err)
		_ = m.NakWithDelay(time.Second)
		return
	}
	output, runErr := echo(ctx, w.cfg.WorkerID, req, input)
	res := jobResult{JobID: req.JobID, WorkerID: w.cfg.WorkerID, Attempt: req.Attempt}
	switch {
	case runErr == nil:
		key := w.cfg.KeyPrefix + "res:" + req.JobID
		if err := w.writeResult(key, output); err != nil {
			log.Printf("job %s: result not written, handed back: %v", req.JobID, err)
			_ = m.NakWithDelay(time.Second)
			return
		}
		res.Status, res.ResultPtr = statusCompleted, "redis://"+key
	case cause.drain:
		// Not the job's fault: another worker runs it again (a nak is not an attempt).
		_ = m.Nak()
		return
	case cause.reason != "":
		res.Status, res.ErrorMessage = statusCancelled, cause.reason
	case errors.Is(runErr, context.DeadlineExceeded):
		res.Status, res.ErrorMessage = statusTimeout, fmt.Sprintf("go worker: job ran past its %s deadline", timeout)
	default:
		res.Status, res.ErrorMessage = statusFailed, runErr.Error()
	}
	res.ExecutionMs = time.Since(started).Milliseconds()
	data := encodePacket(p.TraceID, w.cfg.WorkerID, packetJobResult, encodeJobResult(res), time.Now())
	if _, err := w.js.Publish(subjectResult, data); err != nil {
		log.Printf("job %s: result not published, handed back: %v", req.JobID, err)
		_ = m.NakWithDelay(time.Second)
		return
	}
	if err := m.Ack(); err != nil {
		log.Printf("job %s: ack lost (a redelivery's result will be ignored as late): %v", req.JobID, err)
	}
}

// readContext uses the inline context_json, else GETs the key context_ptr names.
func (w *worker) readContext(req jobRequest) (map[string]any, error) {
	raw := req.ContextJSON
	if raw == "" {
		key := strings.TrimPrefix(req.ContextPtr, "redis://")
		if key == req.ContextPtr || key == "" {
			return nil, fmt.Errorf("context_ptr %q is not a redis:// pointer", req.ContextPtr)
		}
		conn := w.redis.Get()
		defer conn.Close()
		s, err := redis.String(conn.Do("GET", key))
		if errors.Is(err, redis.ErrNil) {
			s, err = "{}", nil
		}
		if err != nil {
			return nil, err
		}
		raw = s
	}
	input := map[string]any{}
	if err := json.Unmarshal([]byte(raw), &input); err != nil {
		return nil, fmt.Errorf("context is not a JSON object: %w", err)
	}
	return input, nil
}

func (w *worker) writeResult(key string, output any) error {
	data, err := json.Marshal(output)
	if err != nil {
		return err
	}
	conn := w.redis.Get()
	defer conn.Close()
	_, err = conn.Do("SET", key, data, "EX", resultTTLSeconds)
	return err
}

// echo returns what it received. Context keys for tests and demos: sleep_ms (abortable
// by cancel and the deadline) and fail (the job fails with that message).
func echo(ctx context.Context, workerID string, req jobRequest, input map[string]any) (any, error) {
	if ms, ok := input["sleep_ms"].(float64); ok && ms > 0 {
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(time.Duration(ms) * time.Millisecond):
		}
	}
	if msg, ok := input["fail"].(string); ok && msg != "" {
		return nil, errors.New(msg)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return map[string]any{
		"job_id":           req.JobID,
		"processed_by":     workerID,
		"language":         "go",
		"tenant":           req.EnvVars["tenant_id"],
		"attempt":          req.Attempt,
		"received_ctx":     input,
		"completed_at_utc": time.Now().UTC().Format(time.RFC3339Nano),
	}, nil
}
