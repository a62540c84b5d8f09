package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"regexp"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gomodule/redigo/redis"
	"github.com/nats-io/nats.go"
)

const (
	streamJobs    = "CORTEX_JOBS"
	subjectResult = "sys.job.result"
	subjectCancel = "sys.job.cancel"
	// How long to wait for the daemon to have created CORTEX_JOBS.
	streamWait = 30 * time.Second
)

var notConsumerChar = regexp.MustCompile(`[^A-Za-z0-9_-]`)

// consumerName is the shared durable name of a topic's work queue (section 3).
func consumerName(topic string) string {
	return "w_" + notConsumerChar.ReplaceAllString(topic, "_")
}

type worker struct {
	cfg    config
	nc     *nats.Conn
	js     nats.JetStreamContext
	redis  *redis.Pool
	sub    *nats.Subscription
	cancel *nats.Subscription
	active int32
	// Cancel functions of the jobs running here, by job id.
	mu      sync.Mutex
	running map[string]func(reason string)
	stopped chan struct{}
	loops   sync.WaitGroup
}

func newWorker(cfg config, nc *nats.Conn, pool *redis.Pool) (*worker, error) {
	js, err := nc.JetStream()
	if err != nil {
		return nil, fmt.Errorf("JetStream unavailable: %w", err)
	}
	return &worker{cfg: cfg, nc: nc, js: js, redis: pool, running: map[string]func(string){}, stopped: make(chan struct{})}, nil
}

// ensureConsumer creates the topic's durable pull consumer, or updates it to these settings.
func (w *worker) ensureConsumer() error {
	cc := &nats.ConsumerConfig{
		Durable:       consumerName(w.cfg.Topic),
		FilterSubject: w.cfg.Topic,
		AckPolicy:     nats.AckExplicitPolicy,
		DeliverPolicy: nats.DeliverAllPolicy,
		AckWait:       w.cfg.AckWait,
		MaxDeliver:    -1,
	}
	deadline := time.Now().Add(streamWait)
	for {
		_, err := w.js.AddConsumer(streamJobs, cc)
		if errors.Is(err, nats.ErrConsumerNameAlreadyInUse) {
			_, err = w.js.UpdateConsumer(streamJobs, cc)
		}
		if err == nil {
			return nil
		}
		if !errors.Is(err, nats.ErrStreamNotFound) || time.Now().After(deadline) {
			return fmt.Errorf("cannot create consumer %s on %s (is `cortex up --backend nats` running?): %w", cc.Durable, streamJobs, err)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

func (w *worker) start() error {
	if err := w.ensureConsumer(); err != nil {
		return err
	}
	durable := consumerName(w.cfg.Topic)
	sub, err := w.js.PullSubscribe(w.cfg.Topic, durable, nats.Bind(streamJobs, durable))
	if err != nil {
		return fmt.Errorf("cannot bind consumer %s: %w", durable, err)
	}
	w.sub = sub
	w.cancel, err = w.nc.Subscribe(subjectCancel, w.onCancel)
	if err != nil {
		return fmt.Errorf("cannot subscribe to %s: %w", subjectCancel, err)
	}
	// The first beat makes the pool live, so it goes out before anything else.
	w.beat(int32(0))
	go w.heartbeats()
	for i := 0; i < w.cfg.Concurrency; i++ {
		w.loops.Add(1)
		go w.fetchLoop()
	}
	return nil
}

func (w *worker) heartbeats() {
	t := time.NewTicker(w.cfg.Heartbeat)
	defer t.Stop()
	for {
		select {
		case <-w.stopped:
			return
		case <-t.C:
			w.beat(atomic.LoadInt32(&w.active))
		}
	}
}

func (w *worker) beat(active int32) {
	hb := encodeHeartbeat(heartbeat{
		WorkerID:        w.cfg.WorkerID,
		Type:            "go",
		ActiveJobs:      active,
		Capabilities:    []string{w.cfg.Topic},
		Pool:            w.cfg.Pool,
		MaxParallelJobs: int32(w.cfg.Concurrency),
	})
	data := encodePacket("", w.cfg.WorkerID, packetHeartbeat, hb, time.Now())
	if err := w.nc.Publish("sys.heartbeat."+w.cfg.Pool, data); err != nil {
		log.Printf("heartbeat not published: %v", err)
	}
}

func (w *worker) onCancel(m *nats.Msg) {
	p, err := decodePacket(m.Data)
	if err != nil || p.PayloadField != packetJobCancel {
		return
	}
	jobID, reason, err := decodeJobCancel(p.Payload)
	if err != nil {
		return
	}
	w.mu.Lock()
	stop := w.running[jobID]
	w.mu.Unlock()
	if stop != nil {
		if reason == "" {
			reason = "job " + jobID + " was cancelled"
		}
		stop(reason)
	}
}

// fetchLoop runs one job at a time; Concurrency loops run side by side.
func (w *worker) fetchLoop() {
	defer w.loops.Done()
	for {
		select {
		case <-w.stopped:
			return
		default:
		}
		msgs, err := w.sub.Fetch(1, nats.MaxWait(time.Second))
		if err != nil {
			if !errors.Is(err, nats.ErrTimeout) && !errors.Is(err, context.DeadlineExceeded) {
				select {
				case <-w.stopped:
					return
				case <-time.After(500 * time.Millisecond):
				}
			}
			continue
		}
		for _, m := range msgs {
			w.handle(m)
		}
	}
}

// drain stops fetching, lets running jobs end (up to grace), and sends a last idle beat.
func (w *worker) drain(grace time.Duration) {
	close(w.stopped)
	done := make(chan struct{})
	go func() { w.loops.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(grace):
		w.mu.Lock()
		for _, stop := range w.running {
			stop("worker is shutting down")
		}
		w.mu.Unlock()
		<-done
	}
	if w.cancel != nil {
		_ = w.cancel.Unsubscribe()
	}
	w.beat(0)
	_ = w.nc.Flush()
}
