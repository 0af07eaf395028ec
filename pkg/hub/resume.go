package hub

import (
	"errors"
	"fmt"

	"smsinbox/pkg/inbox"
)

// resume handles the client's resume frame: for each topic the socket may get
// now, live frames are held from this moment and the events after the given
// seq are replayed by the sync goroutine. Topics the socket may not get are
// ignored: the replay follows the same permission as live events.
func (s *socket) resume(points map[string]int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	for name, at := range points {
		if at < 0 {
			continue
		}
		if !s.helloSent {
			// Served right after hello, before anything live; the
			// permission check happens then, against hello's topics.
			if _, _, ok := inbox.ParseTopic(name); ok && len(s.early) < maxEarly {
				if s.early == nil {
					s.early = make(map[string]int64)
				}
				s.early[name] = at
			}
			continue
		}
		sub := s.topics[name]
		if sub == nil {
			continue
		}
		sub.resuming, sub.resumeAt = true, at
		sub.seq.pause()
		s.catchUpLocked(name, sub)
	}
}

// maxEarly bounds the resume points kept before hello.
const maxEarly = 256

// startResumeLocked turns the client's resume point into where the replay
// starts, and reports whether the client must resync instead.
//
// What this connection already sent of the topic is (sub.base, sent]:
// the snapshot, then the frames after it. A point at or past the snapshot is
// served from max(point, sent): frames already sent are in flight to the
// client, in order, and are not sent twice. A point before the snapshot is
// served by rewinding, unless frames past the snapshot already went out:
// older events cannot come after them in order, so the client must resync.
func (s *socket) startResumeLocked(sub *sub) (resync bool) {
	at, sent := sub.resumeAt, sub.seq.next-1
	sub.resuming = false
	switch {
	case at >= sent:
		sub.seq.moveTo(at)
	case at >= sub.base:
	case sent == sub.base:
		sub.seq.moveTo(at)
	default:
		return true
	}
	return false
}

// catchUp replays a topic from the store after sub's place, page by page, then
// merges the live frames held meanwhile and goes live: the store has every
// event committed before each read, and whatever is committed after it
// arrives live and is held, so nothing is lost and nothing sent twice.
func (s *socket) catchUp(topic string) error {
	s.mu.Lock()
	sub := s.topics[topic]
	if s.closed || sub == nil {
		s.mu.Unlock()
		return nil
	}
	sub.queued = false
	resumed, resynced := sub.resuming, false
	if resumed && s.startResumeLocked(sub) {
		if err := s.sendResyncLocked(topic, sub); err != nil {
			s.mu.Unlock()
			return err
		}
		resynced = true
	}
	s.mu.Unlock()

	pruned := false
	for {
		if err := s.waitRoom(); err != nil {
			return err
		}
		s.mu.Lock()
		if s.closed || s.topics[topic] != sub {
			s.mu.Unlock()
			return nil // unassigned meanwhile: nothing more of it
		}
		after := sub.seq.readFrom()
		s.mu.Unlock()

		events, err := s.h.src.EventsAfter(s.ctx, topic, after, s.h.quarter)
		if err == nil && len(events) > 0 && events[0].Seq > after+1 {
			err = errStoreGap
		}
		if errors.Is(err, inbox.ErrEventsPruned) || errors.Is(err, errStoreGap) {
			if pruned {
				return fmt.Errorf("replay %s after %d: still missing after a resync: %w", topic, after, err)
			}
			pruned, resynced = true, true
			if err := s.resync(topic, sub); err != nil {
				return err
			}
			continue
		}
		if err != nil {
			return fmt.Errorf("replay %s after %d: %w", topic, after, err)
		}
		frames := make([]*frame, 0, len(events))
		for _, e := range events {
			f, ferr := newFrame(e)
			if ferr != nil {
				s.h.log.Error("hub: bad stored event", "topic", topic, "seq", e.Seq, "err", ferr)
			}
			frames = append(frames, f)
		}

		s.mu.Lock()
		if s.closed || s.topics[topic] != sub {
			s.mu.Unlock()
			return nil
		}
		for _, f := range frames {
			if sub.seq.take(f) {
				s.takeLocked(f)
			}
		}
		switch {
		case sub.resuming:
			// Another resume came in: the job it queued takes over.
			s.mu.Unlock()
			return nil
		case len(events) == s.h.quarter:
			// A full page: there may be more.
		case s.releaseLocked(sub):
			s.mu.Unlock()
			if resumed {
				if resynced {
					resumeResync.Inc()
				} else {
					resumeRecovered.Inc()
				}
			}
			return nil
		}
		s.mu.Unlock()
	}
}

// resync tells the client that the topic's events after its point are gone
// and carries on live from the topic's current seq.
func (s *socket) resync(topic string, sub *sub) error {
	seqs, err := s.h.src.TopicSeqs(s.ctx, []string{topic})
	if err != nil {
		return fmt.Errorf("read seq of %s to resync: %w", topic, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || s.topics[topic] != sub {
		return nil
	}
	sub.base = seqs[topic]
	sub.seq.moveTo(sub.base)
	return s.sendResyncLocked(topic, sub)
}

// sendResyncLocked queues a resync frame: the topic goes on after sub's place.
func (s *socket) sendResyncLocked(topic string, sub *sub) error {
	b, err := resyncFrame(topic, sub.seq.next-1)
	if err != nil {
		return err
	}
	s.enqueueLocked(b)
	return nil
}

// errStoreGap is a replay that found a hole in the store's seqs: treated
// like pruned events, since the client cannot get them either way.
var errStoreGap = errors.New("the store skipped seqs")
