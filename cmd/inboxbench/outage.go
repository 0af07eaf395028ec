package main

import (
	"context"
	"fmt"
	"net"
	"os/exec"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"
)

// runOutage is a Redis outage under traffic: two instances on a private
// Redis, every socket on one number (tabs split between the instances), SMS
// on the first. Redis is stopped for -outage-down in the middle of the traffic
// and started again: each instance has missed the other's events meanwhile
// and reads them back from the store, many more than a socket's queue
// holds. What it checks: no socket that keeps reading is closed as too slow
// (slow-consumer disconnects 0), nothing lost or duplicated.
func runOutage(ctx context.Context, o *options, run int) ([]Result, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	rs := &redisServer{addr: addr}
	if err := rs.start(ctx); err != nil {
		return nil, err
	}
	defer rs.stop()
	oo := *o
	oo.redisURL = "redis://" + addr + "/0"
	s, err := openSession(ctx, &oo, "outage", run, true, 2, broadcastShape(o.outageConns), byTab(2))
	if err != nil {
		return nil, err
	}
	// Every SMS comes in on the first instance: the second sees no gap
	// while Redis is down (it gets nothing at all), and so has the whole
	// outage to read back at once when it is up again.
	s.in.hooks = newWebhooks(s.st.token, s.st.bases()[:1], o.workers)
	d := max(o.outageDuration, o.outageDown+10*time.Second)
	r := s.measure(ctx, "Outage", o.outageRate, d, o.workers, func(ctx context.Context, ph *phase) func(*Result) {
		before := (d - o.outageDown) / 2
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(before):
		}
		logf("outage run %d: stopping Redis for %s", run, o.outageDown)
		rs.stop()
		select {
		case <-ctx.Done():
		case <-time.After(o.outageDown):
		}
		if err := rs.start(ctx); err != nil {
			logf("outage run %d: restart Redis: %v", run, err)
		} else {
			logf("outage run %d: Redis is back", run)
		}
		return nil
	})
	results := []Result{r}
	s.close(ctx, results)
	return results, nil
}

// redisServer is a private redis-server the scenario may stop and start
// without touching anyone else's.
type redisServer struct {
	addr string
	cmd  *exec.Cmd
	done chan error
}

func (r *redisServer) start(ctx context.Context) error {
	host, port, err := net.SplitHostPort(r.addr)
	if err != nil {
		return err
	}
	r.cmd = exec.Command("redis-server", "--bind", host, "--port", port, "--save", "", "--appendonly", "no")
	r.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
	if err := r.cmd.Start(); err != nil {
		return fmt.Errorf("start redis-server (needed by the outage scenario): %w", err)
	}
	r.done = make(chan error, 1)
	go func() { r.done <- r.cmd.Wait() }()
	c := redis.NewClient(&redis.Options{Addr: r.addr})
	defer c.Close()
	deadline := time.Now().Add(10 * time.Second)
	for c.Ping(ctx).Err() != nil {
		if time.Now().After(deadline) {
			r.stop()
			return fmt.Errorf("redis-server on %s did not answer within 10 s", r.addr)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return nil
}

func (r *redisServer) stop() {
	if r.cmd == nil {
		return
	}
	_ = r.cmd.Process.Signal(syscall.SIGKILL)
	<-r.done
	r.cmd = nil
}
