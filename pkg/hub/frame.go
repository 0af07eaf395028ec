package hub

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"smsinbox/pkg/inbox"
)

// Frame types the hub adds to the event types of package inbox.
const (
	frameTopics = "topics" // the socket's topic set changed (an extension to API.md)
	frameResume = "resume" // client → server
)

// frame is one server → client message. It is encoded once and its bytes are
// shared by every socket it goes to, so nothing in it may change after
// newFrame returns.
type frame struct {
	topic string
	seq   int64  // 0 for frames that are not stored events
	b     []byte // the JSON text on the wire; nil if the event could not be encoded
	// assign is set for number.updated on a company topic: it moves the
	// company's sockets onto or off the number's topic.
	assign *assignment
	// typer is the typing user's id, for typing frames: their own sockets
	// do not get them.
	typer int64
}

// assignment is who may get a number's topic after a number.updated event.
type assignment struct {
	topic   string  // number:{id}
	users   []int64 // the assignees
	removed []byte  // the topics frame telling a socket it lost topic
	// The event as a recruiter may see it, what GET /api/numbers shows
	// them: their own number without its assignees (assigned), or no more
	// than the number's id (other).
	assigned, other []byte
}

// bytesFor returns the frame as u may see it: a recruiter's number.updated
// carries no assignees (nor, for a number not theirs, anything but its id).
func (f *frame) bytesFor(u inbox.User) []byte {
	if f.assign == nil || f.b == nil || u.IsAdmin() {
		return f.b
	}
	if f.assign.allows(u.ID) {
		return f.assign.assigned
	}
	return f.assign.other
}

// allows reports whether user may get the number's topic.
func (a *assignment) allows(user int64) bool { return slices.Contains(a.users, user) }

// wire is the JSON form of every server → client frame.
type wire struct {
	Type  string `json:"type"`
	Topic string `json:"topic"`
	Seq   int64  `json:"seq"`
	Data  any    `json:"data"`
}

// encode returns the wire form of a frame that is not a stored event.
func encode(typ string, data any) ([]byte, error) {
	b, err := json.Marshal(wire{Type: typ, Data: data})
	if err != nil {
		return nil, fmt.Errorf("encode %s frame: %w", typ, err)
	}
	return b, nil
}

// topicsData is the data of a topics frame.
type topicsData struct {
	Added   map[string]int64 `json:"added"`
	Removed []string         `json:"removed"`
}

// topicsFrame encodes a topics frame for one added or removed topic.
func topicsFrame(added map[string]int64, removed []string) ([]byte, error) {
	if added == nil {
		added = map[string]int64{}
	}
	if removed == nil {
		removed = []string{}
	}
	return encode(frameTopics, topicsData{Added: added, Removed: removed})
}

// resyncFrame encodes the resync frame of topic: the frames that follow it
// are the events after seq.
func resyncFrame(topic string, seq int64) ([]byte, error) {
	return encode(inbox.EventResync, struct {
		Topic string `json:"topic"`
		Seq   int64  `json:"seq"`
	}{topic, seq})
}

// newFrame encodes e once and reads what the hub itself needs from its data.
// It always returns a frame; the error, for the log, says what could not be
// read. A stored event whose data is not valid JSON gets a frame with nil
// bytes, so that its seq is passed over instead of holding up its topic.
func newFrame(e inbox.Event) (*frame, error) {
	f := &frame{topic: e.Topic, seq: e.Seq}
	b, err := json.Marshal(wire{Type: e.Type, Topic: e.Topic, Seq: e.Seq, Data: json.RawMessage(e.Data)})
	if err != nil {
		return f, fmt.Errorf("encode %s event %d of %s: %w", e.Type, e.Seq, e.Topic, err)
	}
	f.b = b
	switch {
	case e.Type == inbox.EventNumberUpdated && strings.HasPrefix(e.Topic, "company:"):
		if f.assign, err = parseAssignment(e); err != nil {
			f.b = nil // never sent whole to a recruiter; its seq is passed over
			return f, fmt.Errorf("event %d of %s: %w", e.Seq, e.Topic, err)
		}
	case e.Type == inbox.EventTyping && e.Seq == 0:
		var d struct {
			User struct {
				ID int64 `json:"id"`
			} `json:"user"`
		}
		if err := json.Unmarshal(e.Data, &d); err != nil {
			return f, fmt.Errorf("typing on %s: %w", e.Topic, err)
		}
		f.typer = d.User.ID
	}
	return f, nil
}

// parseAssignment reads the data of number.updated. The assignees are the
// full list: inbox.Number omits an empty list, so a missing one means that
// nobody is assigned any more. It also encodes the event as recruiters see
// it.
func parseAssignment(e inbox.Event) (*assignment, error) {
	var d struct {
		Number struct {
			ID        int64  `json:"id"`
			E164      string `json:"e164"`
			Label     string `json:"label"`
			Assignees []struct {
				ID int64 `json:"id"`
			} `json:"assignees"`
		} `json:"number"`
	}
	if err := json.Unmarshal(e.Data, &d); err != nil {
		return nil, fmt.Errorf("read number.updated: %w", err)
	}
	if d.Number.ID <= 0 {
		return nil, fmt.Errorf("read number.updated: no number id")
	}
	a := &assignment{topic: inbox.NumberTopic(d.Number.ID)}
	for _, u := range d.Number.Assignees {
		a.users = append(a.users, u.ID)
	}
	removed, err := topicsFrame(nil, []string{a.topic})
	if err != nil {
		return nil, err
	}
	a.removed = removed
	type number struct {
		ID    int64  `json:"id"`
		E164  string `json:"e164,omitempty"`
		Label string `json:"label,omitempty"`
	}
	n := number{ID: d.Number.ID, E164: d.Number.E164, Label: d.Number.Label}
	if a.assigned, err = json.Marshal(wire{Type: e.Type, Topic: e.Topic, Seq: e.Seq, Data: map[string]number{"number": n}}); err != nil {
		return nil, fmt.Errorf("encode number.updated for assignees: %w", err)
	}
	if a.other, err = json.Marshal(wire{Type: e.Type, Topic: e.Topic, Seq: e.Seq, Data: map[string]number{"number": {ID: n.ID}}}); err != nil {
		return nil, fmt.Errorf("encode number.updated for others: %w", err)
	}
	return a, nil
}
