package inbox

import "context"

// What the websocket hub reads (pkg/hub's Source).

// Topics returns the topics u may get: each assigned number's, the
// company's, and u's own (bulk.progress).
func topicsOf(numbers []Number, u User) []string {
	topics := make([]string, 0, len(numbers)+2)
	for _, n := range numbers {
		topics = append(topics, NumberTopic(n.ID))
	}
	return append(topics, CompanyTopic(u.CompanyID), UserTopic(u.ID))
}

// Hello reads, in one snapshot, u's topics with their current seqs and u's
// inbox, so that the first frame of a socket and the events after it agree.
func (s *Service) Hello(ctx context.Context, u User) (Hello, error) {
	h := Hello{User: u}
	err := s.store.Snapshot(ctx, func(q Queries) error {
		numbers, err := q.UserNumbers(ctx, u.ID)
		if err != nil {
			return err
		}
		if h.Topics, err = q.TopicSeqs(ctx, topicsOf(numbers, u)); err != nil {
			return err
		}
		h.Inbox, err = inboxOf(ctx, q, u, numbers, InboxRequest{})
		return err
	})
	return h, err
}

// TopicSeqs returns the current seq of each topic.
func (s *Service) TopicSeqs(ctx context.Context, topics []string) (map[string]int64, error) {
	return s.store.TopicSeqs(ctx, topics)
}

// EventsAfter returns stored events of a topic after a seq, for resume.
func (s *Service) EventsAfter(ctx context.Context, topic string, after int64, limit int) ([]Event, error) {
	return s.store.EventsAfter(ctx, topic, after, limit)
}

// ThreadTopic returns the topic of a thread u may see, for typing frames.
func (s *Service) ThreadTopic(ctx context.Context, u User, threadID int64) (string, error) {
	th, err := s.visibleThread(ctx, s.store, u, threadID)
	if err != nil {
		return "", err
	}
	return NumberTopic(th.Number.ID), nil
}
