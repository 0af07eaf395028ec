package store

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"smsinbox/pkg/inbox"
)

// A company's feed (the topic "feed:<company>") has one gapless seq for all
// the company's writes. Its events wait in feed_pending until they are
// numbered: on PostgreSQL by a short transaction right after their own
// commits, so that no writing transaction holds the company's counter; on
// SQLite just before the commit. NumberFeeds numbers whatever a crash left
// between a commit and its numbering.

// splitFeed separates a transaction's feed events from the others, keeping
// the order of each.
func splitFeed(events []inbox.Event) (counted, pending []inbox.Event) {
	for _, e := range events {
		if strings.HasPrefix(e.Topic, "feed:") {
			pending = append(pending, e)
		} else {
			counted = append(counted, e)
		}
	}
	return counted, pending
}

// numberFeeds numbers the pending events of t's feeds, in topic order (two
// numberings lock counters in one order), and returns them.
func (t *tx) numberFeeds(ctx context.Context) ([]inbox.Event, error) {
	slices.Sort(t.pendingFeeds)
	var events []inbox.Event
	for _, topic := range t.pendingFeeds {
		// The counter row is locked first: a second numbering of the topic
		// waits here, then sees what the first moved as gone.
		var head int64
		if err := t.get(ctx, &head, `INSERT INTO topic_seqs (topic, seq) VALUES (?, 0)
			ON CONFLICT (topic) DO UPDATE SET seq = topic_seqs.seq RETURNING seq`, topic); err != nil {
			return nil, fmt.Errorf("lock the seq of %s: %w", topic, err)
		}
		rows, err := t.dialect.movePending(ctx, t, topic, head)
		if err != nil || len(rows) == 0 {
			return events, err
		}
		if err := t.exec(ctx, `UPDATE topic_seqs SET seq = ? WHERE topic = ?`, head+int64(len(rows)), topic); err != nil {
			return nil, fmt.Errorf("move the seq of %s: %w", topic, err)
		}
		for _, r := range rows {
			events = append(events, inbox.Event{Topic: r.Topic, Seq: r.Seq, Type: r.Type, Data: []byte(r.Payload), CreatedAt: r.CreatedAt})
		}
	}
	t.pendingFeeds = nil
	return events, nil
}

// numberFeeds numbers the pending events of topics in a transaction of
// their own.
func (db *DB) numberFeeds(ctx context.Context, topics []string) ([]inbox.Event, error) {
	sqlTx, err := db.write.BeginTxx(ctx, nil)
	if err != nil {
		return nil, unavailable("begin transaction", err)
	}
	t := &tx{queries: db.in(sqlTx, db.writeStmts), pendingFeeds: topics}
	events, err := t.numberFeeds(ctx)
	if err != nil {
		_ = sqlTx.Rollback()
		return nil, err
	}
	if err := sqlTx.Commit(); err != nil {
		return nil, unavailable("commit", err)
	}
	return events, nil
}

// numberRoundTimeout bounds a numbering round: it runs for several callers,
// so not on its leader's context alone.
const numberRoundTimeout = 5 * time.Second

// feedNumbering runs one numbering of the feeds at a time per process, and
// folds the numberings asked for meanwhile into the next: under load one
// short transaction numbers the feed events of many commits, instead of
// each commit's numbering waiting in line for the feed's counter.
type feedNumbering struct {
	mu      sync.Mutex
	running bool
	next    *numberRound // the round callers join while one runs
}

// numberRound is one numbering of the pending events of topics.
type numberRound struct {
	topics []string
	lead   chan struct{} // closed when the round's first caller is to run it
	done   chan struct{} // closed when the round has run
}

// afterCommit numbers the pending events of topics, which the caller has
// just committed, in a round that starts after that commit. The caller that
// runs a round gets back every event the round numbered (to publish); the
// others get none, their events being among those. A round that fails
// leaves its events to NumberFeeds.
func (db *DB) afterCommit(topics []string) []inbox.Event {
	f := &db.feeds
	f.mu.Lock()
	var r *numberRound
	leads := !f.running
	if leads {
		f.running = true
		r = &numberRound{topics: slices.Clone(topics)}
	} else {
		if f.next == nil {
			f.next = &numberRound{lead: make(chan struct{}), done: make(chan struct{})}
			leads = true
		}
		r = f.next
		for _, t := range topics {
			if !slices.Contains(r.topics, t) {
				r.topics = append(r.topics, t)
			}
		}
	}
	f.mu.Unlock()
	if !leads {
		<-r.done
		return nil
	}
	if r.lead != nil {
		<-r.lead // the round before has run
	}
	ctx, cancel := context.WithTimeout(context.Background(), numberRoundTimeout)
	events, err := db.numberFeeds(ctx, r.topics)
	cancel()
	f.mu.Lock()
	if n := f.next; n != nil {
		f.next = nil
		close(n.lead)
	} else {
		f.running = false
	}
	f.mu.Unlock()
	if r.done != nil {
		close(r.done)
	}
	if err != nil {
		return nil
	}
	return events
}

// NumberFeeds numbers every feed event still pending: those of a process
// that stopped between a commit and its numbering, or whose numbering
// failed. It returns them, to be published.
func (db *DB) NumberFeeds(ctx context.Context) ([]inbox.Event, error) {
	var topics []string
	if err := db.writer().sel(ctx, &topics, `SELECT DISTINCT topic FROM feed_pending`); err != nil {
		return nil, fmt.Errorf("find pending feed events: %w", err)
	}
	if len(topics) == 0 {
		return nil, nil
	}
	return db.numberFeeds(ctx, topics)
}
