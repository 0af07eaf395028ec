package main

import "testing"

func TestSummarizeTakesMediansAndWorstCounts(t *testing.T) {
	rs := []Result{
		{Scenario: "S2", Conns: 10, ConnectRate: 100, Delivery: Dist{P50: 1, P99: 9}, Lost: 0},
		{Scenario: "S1", Conns: 5, ConnectRate: 7},
		{Scenario: "S2", Conns: 10, ConnectRate: 300, Delivery: Dist{P50: 3, P99: 5}, Lost: 2, Failure: "boom"},
		{Scenario: "S2", Conns: 10, ConnectRate: 200, Delivery: Dist{P50: 2, P99: 7}, Lost: 0},
	}
	ss := summarize(rs)
	if len(ss) != 2 || ss[0].Scenario != "S2" || ss[1].Scenario != "S1" {
		t.Fatalf("summaries in the wrong order: %+v", ss)
	}
	s := ss[0]
	if s.Runs != 3 || s.ConnectRate != 200 || s.Delivery.P50 != 2 || s.Delivery.P99 != 7 {
		t.Errorf("medians: %+v", s)
	}
	if s.Lost != 2 || len(s.Failures) != 1 {
		t.Errorf("the worst run's loss and failure are missing: lost %d, failures %v", s.Lost, s.Failures)
	}
}
