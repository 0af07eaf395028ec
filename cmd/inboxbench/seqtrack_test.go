package main

import "testing"

func TestSeqsAcrossAReconnection(t *testing.T) {
	s := seqs{}
	s.hello(map[string]int64{"number:3": 40, "company:1": 7})
	for _, c := range []struct {
		seq  int64
		want seqOutcome
	}{{41, seqNext}, {42, seqNext}, {42, seqDup}, {41, seqDup}, {45, seqGap}, {46, seqNext}} {
		if got := s.observe("number:3", c.seq); got != c.want {
			t.Errorf("seq %d: got %v, want %v", c.seq, got, c.want)
		}
	}
	// Reconnected: the new hello is ahead, the position stays for the replay.
	s.hello(map[string]int64{"number:3": 50, "number:9": 2})
	if got := s.resume(); got["number:3"] != 46 || got["company:1"] != 7 || got["number:9"] != 2 {
		t.Errorf("resume points = %v", got)
	}
	if s.observe("number:3", 47) != seqNext || s.observe("number:3", 46) != seqDup {
		t.Error("the replay after the reconnection was misjudged")
	}
	if s.observe("number:12", 5) != seqNext {
		t.Error("the first frame of a topic never announced is not accepted")
	}
}
