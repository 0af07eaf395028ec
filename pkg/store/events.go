package store

import (
	"context"
	"fmt"
	"time"

	"smsinbox/pkg/inbox"
)

func (q queries) TopicSeqs(ctx context.Context, topics []string) (map[string]int64, error) {
	seqs := make(map[string]int64, len(topics))
	if len(topics) == 0 {
		return seqs, nil
	}
	for _, t := range topics {
		seqs[t] = 0
	}
	query, args, err := q.in(`SELECT topic, seq FROM topic_seqs WHERE topic IN (?)`, topics)
	if err != nil {
		return nil, fmt.Errorf("load topic seqs: %w", err)
	}
	var rows []struct {
		Topic string `db:"topic"`
		Seq   int64  `db:"seq"`
	}
	if err := q.sel(ctx, &rows, query, args...); err != nil {
		return nil, fmt.Errorf("load topic seqs: %w", err)
	}
	for _, r := range rows {
		seqs[r.Topic] = r.Seq
	}
	return seqs, nil
}

type eventRow struct {
	Topic     string    `db:"topic"`
	Seq       int64     `db:"seq"`
	Type      string    `db:"type"`
	Payload   string    `db:"payload"`
	CreatedAt time.Time `db:"created_at"`
}

func (q queries) EventsAfter(ctx context.Context, topic string, after int64, limit int) ([]inbox.Event, error) {
	var rows []eventRow
	load := func() error {
		if err := q.sel(ctx, &rows, `SELECT topic, seq, type, payload, created_at FROM events
			WHERE topic = ? AND seq > ? ORDER BY seq LIMIT ?`, topic, after, limit); err != nil {
			return fmt.Errorf("load events of %s after %d: %w", topic, after, err)
		}
		return nil
	}
	if err := load(); err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		// Nothing stored after the point: fine if the point is the topic's
		// current seq, a resync if it is ahead of it. A seq past the point
		// is either events committed since the read above (a topic's seq
		// and its events commit together, so a second read has them) or
		// events pruned: the second read tells which.
		seqs, err := q.TopicSeqs(ctx, []string{topic})
		if err != nil {
			return nil, err
		}
		switch current := seqs[topic]; {
		case current == after:
			return []inbox.Event{}, nil
		case current < after:
			return nil, inbox.ErrEventsPruned
		}
		if err := load(); err != nil {
			return nil, err
		}
		if len(rows) == 0 {
			return nil, inbox.ErrEventsPruned
		}
	}
	if rows[0].Seq != after+1 {
		return nil, inbox.ErrEventsPruned
	}
	events := make([]inbox.Event, len(rows))
	for i, r := range rows {
		events[i] = inbox.Event{Topic: r.Topic, Seq: r.Seq, Type: r.Type, Data: []byte(r.Payload), CreatedAt: r.CreatedAt}
	}
	return events, nil
}
