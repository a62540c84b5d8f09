// A cortex worker in Go, written from docs/worker-protocol.md only: it serves one job
// topic (default job.go.echo, pool "go") over the CortexOS v1 wire on the nats backend.
//
// Build offline (Debian packages, GOPATH mode):
//
//	GO111MODULE=off GOPATH=/usr/share/gocode go build -o go-worker .
package main

import (
	"fmt"
	"log"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/gomodule/redigo/redis"
	"github.com/nats-io/nats.go"
)

type config struct {
	NatsURL     string
	RedisURL    string
	KeyPrefix   string
	Pool        string
	Topic       string
	WorkerID    string
	Concurrency int
	// Deadline of an attempt whose JobRequest.timeout_ms is 0.
	DefaultTimeout time.Duration
	AckWait        time.Duration
	Heartbeat      time.Duration
}

func env(name, fallback string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return fallback
}

func envInt(name string, fallback int) (int, error) {
	v := os.Getenv(name)
	if v == "" {
		return fallback, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("%s must be a positive integer, not %q", name, v)
	}
	return n, nil
}

func loadConfig() (config, error) {
	host, _ := os.Hostname()
	c := config{
		NatsURL:   os.Getenv("NATS_URL"),
		RedisURL:  os.Getenv("REDIS_URL"),
		KeyPrefix: os.Getenv("CORTEX_KEY_PREFIX"),
		Pool:      env("WORKER_POOL", "go"),
		Topic:     env("WORKER_TOPIC", "job.go.echo"),
		WorkerID:  env("WORKER_ID", fmt.Sprintf("go-%s-%d", host, os.Getpid())),
		Heartbeat: 5 * time.Second,
	}
	if c.NatsURL == "" || c.RedisURL == "" {
		return c, fmt.Errorf("set NATS_URL and REDIS_URL to the cortex stack's servers (see cortex ps)")
	}
	var err error
	if c.Concurrency, err = envInt("WORKER_CONCURRENCY", 4); err != nil {
		return c, err
	}
	timeoutMs, err := envInt("WORKER_TIMEOUT_MS", 60_000)
	if err != nil {
		return c, err
	}
	c.DefaultTimeout = time.Duration(timeoutMs) * time.Millisecond
	// ack_wait = min(topic timeout, 30 s); every worker of the topic must use the same value.
	ackWaitMs, err := envInt("WORKER_ACK_WAIT_MS", min(timeoutMs, 30_000))
	if err != nil {
		return c, err
	}
	c.AckWait = time.Duration(ackWaitMs) * time.Millisecond
	return c, nil
}

func min(a, b int) int {
	if a < b {
		return a
	}
	return b
}

func main() {
	log.SetFlags(log.LstdFlags | log.Lmicroseconds)
	cfg, err := loadConfig()
	if err != nil {
		log.Fatalf("go-worker: %v", err)
	}
	nc, err := nats.Connect(cfg.NatsURL, nats.Name(cfg.WorkerID), nats.MaxReconnects(-1))
	if err != nil {
		log.Fatalf("go-worker: cannot connect to NATS at %s: %v", cfg.NatsURL, err)
	}
	defer nc.Close()
	pool := &redis.Pool{
		MaxIdle:     cfg.Concurrency,
		IdleTimeout: time.Minute,
		Dial:        func() (redis.Conn, error) { return redis.DialURL(cfg.RedisURL) },
	}
	defer pool.Close()
	w, err := newWorker(cfg, nc, pool)
	if err != nil {
		log.Fatalf("go-worker: %v", err)
	}
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGINT, syscall.SIGTERM)
	if err := w.start(); err != nil {
		log.Fatalf("go-worker: %v", err)
	}
	log.Printf("go-worker %s serving %s in pool %s (concurrency %d)", cfg.WorkerID, cfg.Topic, cfg.Pool, cfg.Concurrency)
	<-stop
	log.Printf("go-worker: draining")
	w.drain(30 * time.Second)
	log.Printf("go-worker: stopped")
}
