package main

// seqOutcome is how a sequenced frame fits a tab's position in its topic.
type seqOutcome uint8

const (
	seqNext seqOutcome = iota // the next one, or the first of a topic
	seqDup                    // at or before the position: seen already
	seqGap                    // after a gap: some frames never came
)

// seqs is one tab's position in each topic: the last seq it got. It lives
// as long as the tab, across reconnections, so that a resume that replays
// an event twice is caught as a duplicate.
type seqs map[string]int64

// observe moves the position of topic to seq and says how seq fitted.
func (s seqs) observe(topic string, seq int64) seqOutcome {
	last, known := s[topic]
	switch {
	case !known || seq == last+1:
		s[topic] = seq
		return seqNext
	case seq <= last:
		return seqDup
	default:
		s[topic] = seq
		return seqGap
	}
}

// hello takes the positions of a hello frame for the topics the tab has no
// position in yet. A known topic keeps its position: after a reconnection
// the resume replays from it.
func (s seqs) hello(topics map[string]int64) {
	for t, q := range topics {
		if _, known := s[t]; !known {
			s[t] = q
		}
	}
}

// resume returns the resume frame's topics: every position held.
func (s seqs) resume() map[string]int64 {
	out := make(map[string]int64, len(s))
	for t, q := range s {
		out[t] = q
	}
	return out
}
