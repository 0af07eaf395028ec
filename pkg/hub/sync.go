package hub

import (
	"fmt"
	"maps"

	"smsinbox/pkg/inbox"
)

// jobKind is what a socket's sync goroutine does next.
type jobKind int

const (
	jobHello   jobKind = iota // read the snapshot, send hello, go live
	jobCatchUp                // replay a topic from the store (resume or a gap)
	jobAdd                    // the user was assigned to a number
	jobRemove                 // the user was unassigned from a number
)

// job is one unit of a socket's store work. Jobs run one at a time, in the
// order they were queued, so topic changes and replays never interleave.
type job struct {
	kind  jobKind
	topic string
}

// queueJobLocked queues j, starting the sync goroutine if it is not running.
func (s *socket) queueJobLocked(j job) {
	if s.closed {
		return
	}
	s.jobs = append(s.jobs, j)
	if !s.syncing {
		s.syncing = true
		s.h.wg.Go(s.syncLoop)
	}
}

// catchUpLocked queues a replay of topic unless one is queued already.
func (s *socket) catchUpLocked(topic string, sub *sub) {
	if !sub.queued {
		sub.queued = true
		s.queueJobLocked(job{kind: jobCatchUp, topic: topic})
	}
}

// syncLoop runs the socket's jobs until none are left.
func (s *socket) syncLoop() {
	for {
		s.mu.Lock()
		if s.closed || len(s.jobs) == 0 {
			s.syncing = false
			s.jobs = nil
			s.mu.Unlock()
			return
		}
		j := s.jobs[0]
		s.jobs = s.jobs[1:]
		s.mu.Unlock()

		var err error
		switch j.kind {
		case jobHello:
			err = s.hello()
		case jobCatchUp:
			err = s.catchUp(j.topic)
		case jobAdd:
			err = s.add(j.topic)
		case jobRemove:
			s.remove(j.topic)
		}
		if err != nil {
			if !s.isClosed() {
				s.h.storeFaults.Failed(err, "while", "serving a websocket from the store", "user", s.user.ID)
				s.close(closeStore)
			}
			return
		}
	}
}

// register makes the hub deliver topic to s; false if s closed meanwhile.
func (s *socket) register(topic string) bool {
	s.h.subscribe(topic, s)
	s.want(topic)
	s.mu.Lock()
	closed := s.closed
	if !closed {
		s.registered[topic] = true
	}
	s.mu.Unlock()
	if closed {
		// teardown has already unsubscribed what it knew of.
		s.h.unsubscribe(topic, s)
	}
	return !closed
}

// hello sends the first frame. The company topic was subscribed before the
// snapshot; the number topics, which only the snapshot names, are
// subscribed after it and their seqs read again, so that events committed
// in between are replayed from the store. Everything live is held until
// hello is queued, then sent if it is newer than the snapshot.
func (s *socket) hello() error {
	s.want(s.company) // subscribed to in start; the bus too, before the snapshot
	hello, err := s.h.readHello(s.ctx, s.user)
	if err != nil {
		return err
	}
	if hello.Topics == nil {
		hello.Topics = map[string]int64{}
	}

	var fresh []string
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	for name := range hello.Topics {
		if _, ok := s.topics[name]; !ok {
			s.topics[name] = s.newSub()
			fresh = append(fresh, name)
		}
	}
	s.mu.Unlock()
	for _, name := range fresh {
		if !s.register(name) {
			return nil
		}
	}
	current := map[string]int64{}
	if len(fresh) > 0 {
		if current, err = s.h.readSeqs(s.ctx, s.user, fresh); err != nil {
			return fmt.Errorf("read topic seqs after hello: %w", err)
		}
	}
	b, err := encode(inbox.EventHello, hello)
	if err != nil {
		return err
	}

	var stale []string
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.enqueueLocked(b)
	s.helloSent = true
	s.memberSeq = hello.Topics[s.company]
	// Releasing held company events may change the topic set: work on a
	// copy taken now, and skip any sub that is no longer the same.
	subs := maps.Clone(s.topics)
	for name, sub := range subs {
		seq, ok := hello.Topics[name]
		if !ok {
			delete(s.topics, name)
			delete(s.registered, name)
			stale = append(stale, name)
			continue
		}
		sub.base = seq
		sub.seq.moveTo(seq)
	}
	for name, at := range s.early {
		if sub := s.topics[name]; sub != nil {
			sub.resuming, sub.resumeAt = true, at
			s.catchUpLocked(name, sub)
		}
	}
	s.early = nil
	for name, sub := range subs {
		switch {
		case s.topics[name] != sub || sub.resuming:
		case current[name] > sub.base || !s.releaseLocked(sub):
			s.catchUpLocked(name, sub)
		}
	}
	s.mu.Unlock()

	for _, name := range stale {
		s.h.unsubscribe(name, s)
		s.unwant(name)
	}
	for name, seq := range hello.Topics {
		s.h.prime(name, max(seq, current[name]))
	}
	return nil
}

// releaseLocked sends sub's held frames that follow on from its place and
// reports whether sub is live again: nothing missing, nothing dropped.
func (s *socket) releaseLocked(sub *sub) bool {
	sub.seq.release(s.takeLocked)
	return sub.seq.resume()
}

// assignLocked applies a number's new assignees to this socket: it starts or
// stops getting the number's topic, and the client is told with a topics
// frame.
func (s *socket) assignLocked(a *assignment) {
	_, has := s.topics[a.topic]
	switch want := a.allows(s.user.ID); {
	case want && !has:
		s.topics[a.topic] = s.newSub()
		s.queueJobLocked(job{kind: jobAdd, topic: a.topic})
	case !want && has:
		// From here on nothing of the topic is sent, live or replayed.
		delete(s.topics, a.topic)
		s.enqueueLocked(a.removed)
		s.queueJobLocked(job{kind: jobRemove, topic: a.topic})
	}
}

// add subscribes to a newly assigned number's topic, then reads its seq:
// everything after that seq reaches the socket, live or from the store.
func (s *socket) add(topic string) error {
	s.mu.Lock()
	sub := s.topics[topic]
	s.mu.Unlock()
	if sub == nil || !s.register(topic) {
		return nil
	}
	seqs, err := s.h.src.TopicSeqs(s.ctx, []string{topic})
	if err != nil {
		return fmt.Errorf("read seq of added topic %s: %w", topic, err)
	}
	seq := seqs[topic]
	b, err := topicsFrame(map[string]int64{topic: seq}, nil)
	if err != nil {
		return err
	}
	s.mu.Lock()
	if s.closed || s.topics[topic] != sub {
		// Unassigned again meanwhile: the queued remove job unsubscribes.
		s.mu.Unlock()
		return nil
	}
	s.enqueueLocked(b)
	sub.base = seq
	sub.seq.moveTo(seq)
	if !sub.resuming && !s.releaseLocked(sub) {
		s.catchUpLocked(topic, sub)
	}
	s.mu.Unlock()
	s.h.prime(topic, seq)
	return nil
}

// remove unsubscribes from a number's topic the user lost, unless they were
// assigned to it again since (then a queued add job follows).
func (s *socket) remove(topic string) {
	s.mu.Lock()
	if s.closed || s.topics[topic] != nil {
		s.mu.Unlock()
		return
	}
	delete(s.registered, topic)
	s.mu.Unlock()
	s.h.unsubscribe(topic, s)
	s.unwant(topic)
}
