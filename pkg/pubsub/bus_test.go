package pubsub

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"smsinbox/pkg/inbox"
)

// waitTimeout bounds every wait in these tests: generous, because they only
// ever wait for something that should happen within milliseconds.
const waitTimeout = 10 * time.Second

// probeType marks the events ready publishes; collectors count them apart.
const probeType = "test.probe"

// testBus checks the contract every inbox.Bus keeps. newPair returns two
// buses that act as two processes of one deployment; an in-process bus may
// return the same value twice.
func testBus(t *testing.T, newPair func(t *testing.T) (a, b inbox.Bus)) {
	t.Run("OrderAcrossProcesses", func(t *testing.T) {
		t.Parallel()
		a, b := newPair(t)
		c := subscribe(t, b)
		ready(t, a, c)
		want := numbered("number:1", 1, 200)
		for _, e := range want {
			publish(t, a, e)
		}
		c.wantEvents(t, want...)
	})

	t.Run("BatchInOnePieceAndInOrder", func(t *testing.T) {
		t.Parallel()
		a, b := newPair(t)
		c := subscribe(t, b)
		ready(t, a, c)
		const batches, size = 20, 10
		// Two publishers at once, one per process: each batch must still
		// arrive in one piece, and each publisher's batches in order.
		var wg sync.WaitGroup
		for _, p := range []struct {
			bus   inbox.Bus
			topic string
		}{{a, "number:1"}, {b, "number:2"}} {
			wg.Go(func() {
				for i := range batches {
					first := int64(i*size + 1)
					if err := p.bus.Publish(context.Background(), numbered(p.topic, first, first+size-1)...); err != nil {
						t.Errorf("Publish: got %v, want nil", err)
					}
				}
			})
		}
		wg.Wait()
		got := c.waitCount(t, 2*batches*size)
		for i := 0; i+size <= len(got); i += size {
			run := got[i : i+size]
			first := run[0].Seq
			if (first-1)%size != 0 || !reflect.DeepEqual(run, numbered(run[0].Topic, first, first+size-1)) {
				t.Fatalf("events %d to %d: got %s, want one whole batch", i, i+size-1, describe(run))
			}
		}
		for _, topic := range []string{"number:1", "number:2"} {
			if got, want := onTopic(got, topic), numbered(topic, 1, batches*size); !reflect.DeepEqual(got, want) {
				t.Errorf("%s: got %s, want %s", topic, describe(got), describe(want))
			}
		}
	})

	t.Run("EverySubscriberGetsEverything", func(t *testing.T) {
		t.Parallel()
		a, b := newPair(t)
		cs := []*collector{subscribe(t, a), subscribe(t, a), subscribe(t, b), subscribe(t, b), subscribe(t, b)}
		ready(t, a, cs...)
		ready(t, b, cs...)
		fromA, fromB := numbered("number:1", 1, 10), numbered("number:2", 1, 10)
		for i := range fromA {
			publish(t, a, fromA[i])
			publish(t, b, fromB[i])
		}
		for i, c := range cs {
			got := c.waitCount(t, len(fromA)+len(fromB))
			if got := onTopic(got, "number:1"); !reflect.DeepEqual(got, fromA) {
				t.Errorf("subscriber %d, events from a: got %s, want %s", i, describe(got), describe(fromA))
			}
			if got := onTopic(got, "number:2"); !reflect.DeepEqual(got, fromB) {
				t.Errorf("subscriber %d, events from b: got %s, want %s", i, describe(got), describe(fromB))
			}
		}
	})

	t.Run("EphemeralEventsTravel", func(t *testing.T) {
		t.Parallel()
		a, b := newPair(t)
		c := subscribe(t, b)
		ready(t, a, c)
		typing := inbox.Event{
			Topic: inbox.NumberTopic(3),
			Type:  inbox.EventTyping,
			Data:  json.RawMessage(`{"thread_id":7,"user":{"id":2,"name":"Ann"}}`),
		}
		publish(t, a, typing)
		c.wantEvents(t, typing)
	})

	t.Run("NoReplayOfEarlierEvents", func(t *testing.T) {
		t.Parallel()
		a, b := newPair(t)
		publish(t, a, numbered("number:1", 1, 3)...)
		remote, local := subscribe(t, b), subscribe(t, a)
		ready(t, a, remote, local)
		later := numbered("number:1", 4, 4)[0]
		publish(t, a, later)
		remote.wantEvents(t, later)
		local.wantEvents(t, later)
	})

	t.Run("SubscribeReturnsWhenContextEnds", func(t *testing.T) {
		t.Parallel()
		a, b := newPair(t)
		stopped, live := subscribe(t, b), subscribe(t, b)
		ready(t, a, stopped, live)
		if err := stopped.stop(); err != nil {
			t.Fatalf("Subscribe after its context ended: got %v, want nil", err)
		}
		e := numbered("number:1", 1, 1)[0]
		publish(t, a, e)
		live.wantEvents(t, e)
		if got := stopped.snapshot(); len(got) != 0 {
			t.Errorf("after Subscribe returned: got %s, want nothing", describe(got))
		}
	})

	t.Run("EmptyPublishSendsNothing", func(t *testing.T) {
		t.Parallel()
		a, b := newPair(t)
		c := subscribe(t, b)
		ready(t, a, c)
		publish(t, a)
		marker := numbered("number:1", 1, 1)[0]
		publish(t, a, marker)
		c.wantEvents(t, marker)
	})

	t.Run("Ping", func(t *testing.T) {
		t.Parallel()
		a, _ := newPair(t)
		if err := a.Ping(t.Context()); err != nil {
			t.Errorf("Ping: got %v, want nil", err)
		}
	})
}

// numbered returns events on topic with seqs from to to, inclusive.
func numbered(topic string, from, to int64) []inbox.Event {
	var es []inbox.Event
	for seq := from; seq <= to; seq++ {
		es = append(es, inbox.Event{
			Topic: topic,
			Seq:   seq,
			Type:  inbox.EventMessageCreated,
			Data:  json.RawMessage(fmt.Sprintf(`{"n":%d}`, seq)),
		})
	}
	return es
}

// publish publishes events through bus and fails the test if it cannot.
func publish(t *testing.T, bus inbox.Bus, events ...inbox.Event) {
	t.Helper()
	if err := bus.Publish(t.Context(), events...); err != nil {
		t.Fatalf("Publish: got %v, want nil", err)
	}
}

// onTopic returns the events of one topic, in the order given.
func onTopic(events []inbox.Event, topic string) []inbox.Event {
	var out []inbox.Event
	for _, e := range events {
		if e.Topic == topic {
			out = append(out, e)
		}
	}
	return out
}

// describe renders events briefly for failure messages: long lists show
// their ends only.
func describe(events []inbox.Event) string {
	const ends = 10
	var parts []string
	for i, e := range events {
		if i == ends && len(events) > 2*ends {
			parts = append(parts, "…")
		}
		if i < ends || i >= len(events)-ends {
			parts = append(parts, fmt.Sprintf("%s#%d(%s)", e.Topic, e.Seq, e.Type))
		}
	}
	return fmt.Sprintf("%d events [%s]", len(events), strings.Join(parts, " "))
}

// collector records what one Subscribe call hands over, and whether the
// bus kept its promises while doing so.
type collector struct {
	mu        sync.Mutex
	events    []inbox.Event // probes left out
	probes    int
	recovered int
	changed   chan struct{} // poked after every change; holds one poke

	busy     atomic.Bool // a callback is running
	overlap  atomic.Bool // a callback started while another was running
	returned atomic.Bool // Subscribe has returned
	late     atomic.Bool // a callback ran after Subscribe returned

	stop func() error // ends Subscribe and returns its result
}

// subscribe runs bus.Subscribe until the test ends or stop is called, and
// checks then that it returned nil and that the callbacks behaved.
func subscribe(t *testing.T, bus inbox.Bus) *collector {
	t.Helper()
	c := &collector{changed: make(chan struct{}, 1)}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		err := bus.Subscribe(ctx, c.deliver, c.recover)
		c.returned.Store(true)
		done <- err
	}()
	var once sync.Once
	var result error
	c.stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case result = <-done:
			case <-time.After(waitTimeout):
				result = fmt.Errorf("Subscribe still running %s after its context ended", waitTimeout)
			}
		})
		return result
	}
	t.Cleanup(func() {
		if err := c.stop(); err != nil {
			t.Errorf("Subscribe: got %v, want nil", err)
		}
		if c.overlap.Load() {
			t.Error("callbacks of one subscriber ran concurrently, want one at a time")
		}
		if c.late.Load() {
			t.Error("a callback ran after Subscribe returned, want none")
		}
	})
	return c
}

// enter and leave bracket each callback to catch overlaps and late calls.
func (c *collector) enter() {
	if !c.busy.CompareAndSwap(false, true) {
		c.overlap.Store(true)
	}
	if c.returned.Load() {
		c.late.Store(true)
	}
}

func (c *collector) leave() { c.busy.Store(false) }

func (c *collector) deliver(e inbox.Event) {
	c.enter()
	defer c.leave()
	c.mu.Lock()
	if e.Type == probeType {
		c.probes++
	} else {
		c.events = append(c.events, e)
	}
	c.mu.Unlock()
	c.poke()
}

func (c *collector) recover() {
	c.enter()
	defer c.leave()
	c.mu.Lock()
	c.recovered++
	c.mu.Unlock()
	c.poke()
}

func (c *collector) poke() {
	select {
	case c.changed <- struct{}{}:
	default:
	}
}

// snapshot returns a copy of the events received so far.
func (c *collector) snapshot() []inbox.Event {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]inbox.Event(nil), c.events...)
}

// counts returns how many probes and recovered calls were received so far.
func (c *collector) counts() (probes, recovered int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.probes, c.recovered
}

// waitFor waits until cond holds, failing the test after waitTimeout.
func (c *collector) waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.NewTimer(waitTimeout)
	defer deadline.Stop()
	for !cond() {
		select {
		case <-c.changed:
		case <-deadline.C:
			_, recovered := c.counts()
			t.Fatalf("after %s: got %s and %d recovered calls, want %s", waitTimeout, describe(c.snapshot()), recovered, what)
		}
	}
}

// waitCount waits for n events and returns all that arrived by then.
func (c *collector) waitCount(t *testing.T, n int) []inbox.Event {
	t.Helper()
	c.waitFor(t, fmt.Sprintf("%d events", n), func() bool { return len(c.snapshot()) >= n })
	return c.snapshot()
}

// waitRecovered waits for at least n recovered calls.
func (c *collector) waitRecovered(t *testing.T, n int) {
	t.Helper()
	c.waitFor(t, fmt.Sprintf("%d recovered calls", n), func() bool {
		_, recovered := c.counts()
		return recovered >= n
	})
}

// wantEvents waits until as many events as want have arrived and checks
// that they are exactly want.
func (c *collector) wantEvents(t *testing.T, want ...inbox.Event) {
	t.Helper()
	if got := c.waitCount(t, len(want)); !reflect.DeepEqual(got, want) {
		t.Fatalf("got %s, want %s", describe(got), describe(want))
	}
}

// ready publishes probes through pub until every collector has received a
// new one, so that their subscriptions are known to be live before the test
// publishes what it checks. A failed Publish is no reason to stop: a bus may
// still deliver locally, and only arrival counts.
func ready(t *testing.T, pub inbox.Bus, cs ...*collector) {
	t.Helper()
	before := make([]int, len(cs))
	for i, c := range cs {
		before[i], _ = c.counts()
	}
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(waitTimeout)
	probe := inbox.Event{Topic: inbox.CompanyTopic(1), Type: probeType, Data: json.RawMessage(`{}`)}
	for {
		_ = pub.Publish(t.Context(), probe)
		live := 0
		for i, c := range cs {
			if probes, _ := c.counts(); probes > before[i] {
				live++
			}
		}
		if live == len(cs) {
			return
		}
		select {
		case <-tick.C:
		case <-deadline:
			t.Fatalf("after %s: got %d live subscribers, want %d", waitTimeout, live, len(cs))
		}
	}
}
