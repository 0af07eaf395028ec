package hub

import (
	"slices"
	"testing"
)

// seqStep is one thing done to a sequence in a table test.
type seqStep struct {
	op  string // "place", "take", "release", "resume", "pause", "moveTo", "readFrom", "skipToHeld", "markLost"
	seq int64  // the event's seq, or moveTo's place

	want     placement // place's answer
	wantOK   bool      // take's and resume's answer
	wantOut  []int64   // release's passed events, in order
	wantFrom int64     // readFrom's answer
}

func TestSequence(t *testing.T) {
	tests := []struct {
		name  string
		limit int
		steps []seqStep
		// After the steps:
		next   int64
		held   []int64
		paused bool
		lost   bool
	}{{
		name:  "paused from the start, everything is held",
		limit: 8,
		steps: []seqStep{
			{op: "place", seq: 5, want: placeHeld},
			{op: "place", seq: 3, want: placeHeld},
			{op: "place", seq: 5, want: placeHeld},
		},
		held: []int64{3, 5}, paused: true,
	}, {
		name:  "moved and resumed, events pass in order and older ones are stale",
		limit: 8,
		steps: []seqStep{
			{op: "moveTo", seq: 10},
			{op: "resume", wantOK: true},
			{op: "place", seq: 11, want: placePassed},
			{op: "place", seq: 11, want: placeStale},
			{op: "place", seq: 9, want: placeStale},
			{op: "place", seq: 12, want: placePassed},
		},
		next: 13,
	}, {
		name:  "an event ahead opens a gap; the missing one closes it and release passes the rest",
		limit: 8,
		steps: []seqStep{
			{op: "moveTo", seq: 0},
			{op: "resume", wantOK: true},
			{op: "place", seq: 3, want: placeGap},
			{op: "place", seq: 2, want: placeGap},
			{op: "place", seq: 5, want: placeGap},
			{op: "place", seq: 1, want: placePassed},
			{op: "release", wantOut: []int64{2, 3}},
			{op: "resume", wantOK: false},
		},
		next: 4, held: []int64{5},
	}, {
		name:  "the snapshot is older than what is held: release drops what is passed and waits",
		limit: 8,
		steps: []seqStep{
			{op: "place", seq: 4, want: placeHeld},
			{op: "place", seq: 6, want: placeHeld},
			{op: "place", seq: 7, want: placeHeld},
			{op: "moveTo", seq: 5},
			{op: "release", wantOut: []int64{6, 7}},
			{op: "resume", wantOK: true},
		},
		next: 8,
	}, {
		name:  "a replay from the store takes events in order, whatever is paused",
		limit: 8,
		steps: []seqStep{
			{op: "moveTo", seq: 2},
			{op: "place", seq: 5, want: placeHeld},
			{op: "take", seq: 3, wantOK: true},
			{op: "take", seq: 5, wantOK: false},
			{op: "take", seq: 4, wantOK: true},
			{op: "release", wantOut: []int64{5}},
			{op: "resume", wantOK: true},
			{op: "place", seq: 6, want: placePassed},
		},
		next: 7,
	}, {
		name:  "past the limit an event is dropped and the sequence is lost until the store is read",
		limit: 2,
		steps: []seqStep{
			{op: "moveTo", seq: 0},
			{op: "place", seq: 1, want: placeHeld},
			{op: "place", seq: 2, want: placeHeld},
			{op: "place", seq: 3, want: placeHeld},
			{op: "release", wantOut: []int64{1, 2}},
			{op: "resume", wantOK: false},
			{op: "readFrom", wantFrom: 2},
			{op: "take", seq: 3, wantOK: true},
			{op: "resume", wantOK: true},
		},
		next: 4,
	}, {
		name:  "a held seq is held once, so the limit counts events",
		limit: 2,
		steps: []seqStep{
			{op: "place", seq: 1, want: placeHeld},
			{op: "place", seq: 1, want: placeHeld},
			{op: "place", seq: 2, want: placeHeld},
		},
		held: []int64{1, 2}, paused: true,
	}, {
		name:  "pruned events are skipped up to the first held one",
		limit: 8,
		steps: []seqStep{
			{op: "moveTo", seq: 1},
			{op: "resume", wantOK: true},
			{op: "place", seq: 9, want: placeGap},
			{op: "place", seq: 7, want: placeGap},
			{op: "skipToHeld"},
			{op: "release", wantOut: []int64{7}},
		},
		next: 8, held: []int64{9},
	}, {
		name:  "pause holds even the next event",
		limit: 8,
		steps: []seqStep{
			{op: "moveTo", seq: 4},
			{op: "resume", wantOK: true},
			{op: "pause"},
			{op: "place", seq: 5, want: placeHeld},
			{op: "release", wantOut: []int64{5}},
			{op: "resume", wantOK: true},
		},
		next: 6,
	}, {
		name:  "a loss before the place is known is read from the store",
		limit: 8,
		steps: []seqStep{
			{op: "markLost"},
			{op: "moveTo", seq: 3},
			{op: "resume", wantOK: false},
			{op: "readFrom", wantFrom: 3},
			{op: "resume", wantOK: true},
		},
		next: 4,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := newSequence(tt.limit)
			for i, st := range tt.steps {
				f := &frame{seq: st.seq}
				switch st.op {
				case "place":
					if got := q.place(f); got != st.want {
						t.Fatalf("step %d: place(%d) = %d, want %d", i, st.seq, got, st.want)
					}
				case "take":
					if got := q.take(f); got != st.wantOK {
						t.Fatalf("step %d: take(%d) = %v, want %v", i, st.seq, got, st.wantOK)
					}
				case "release":
					var out []int64
					q.release(func(f *frame) { out = append(out, f.seq) })
					if !slices.Equal(out, st.wantOut) {
						t.Fatalf("step %d: release passed %v, want %v", i, out, st.wantOut)
					}
				case "resume":
					if got := q.resume(); got != st.wantOK {
						t.Fatalf("step %d: resume() = %v, want %v", i, got, st.wantOK)
					}
				case "pause":
					q.pause()
				case "moveTo":
					q.moveTo(st.seq)
				case "readFrom":
					if got := q.readFrom(); got != st.wantFrom {
						t.Fatalf("step %d: readFrom() = %d, want %d", i, got, st.wantFrom)
					}
				case "skipToHeld":
					q.skipToHeld()
				case "markLost":
					q.markLost()
				default:
					t.Fatalf("step %d: unknown op %q", i, st.op)
				}
			}
			var held []int64
			for _, f := range q.held {
				held = append(held, f.seq)
			}
			if q.next != tt.next || !slices.Equal(held, tt.held) || q.paused != tt.paused || q.lost != tt.lost {
				t.Errorf("after the steps: next %d, held %v, paused %v, lost %v; want next %d, held %v, paused %v, lost %v",
					q.next, held, q.paused, q.lost, tt.next, tt.held, tt.paused, tt.lost)
			}
		})
	}
}
