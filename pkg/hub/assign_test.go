package hub

import (
	"encoding/json"
	"maps"
	"slices"
	"testing"

	"smsinbox/pkg/inbox"
)

// expectTopics reads a topics frame and checks what it adds and removes.
func (c *client) expectTopics(added map[string]int64, removed []string) {
	c.t.Helper()
	f := c.next()
	var data topicsData
	if err := json.Unmarshal(f.Data, &data); err != nil {
		c.t.Fatalf("%s: decode %v: %v", c.name, f, err)
	}
	if f.Type != "topics" || f.Topic != "" || f.Seq != 0 || data.Added == nil || data.Removed == nil {
		c.t.Fatalf("%s: got %v, want a topics frame with added and removed", c.name, f)
	}
	if !maps.Equal(data.Added, added) || !slices.Equal(data.Removed, removed) {
		c.t.Fatalf("%s: got topics added %v removed %v, want added %v removed %v", c.name, data.Added, data.Removed, added, removed)
	}
}

// An unassigned user's sockets are told, and get nothing more of the number,
// live or by resume.
func TestUnassign(t *testing.T) {
	e := newEnv(t, Options{})
	e.store.append(topicN, inbox.EventMessageCreated, message(1))
	a, b := e.dial(alice), e.dial(bob)
	a.hello()
	b.hello()

	change := e.store.assign(numberN, bob)
	e.send(change)
	a.expect(change)
	a.expectTopics(map[string]int64{}, []string{topicN})
	b.expect(change)

	ev := e.publish(topicN, inbox.EventMessageCreated, message(2))
	m := e.marker()
	b.expect(ev)
	b.expect(m)
	a.expect(m)

	a.resume(map[string]int64{topicN: 0})
	a.expect(e.marker())
}

// A newly assigned user's open sockets start getting the number at once.
func TestAssign(t *testing.T) {
	e := newEnv(t, Options{})
	e.store.append(topicN, inbox.EventMessageCreated, message(1))
	e.store.append(topicN, inbox.EventMessageCreated, message(2))
	c := e.dial(carol)
	c.hello()

	change := e.store.assign(numberN, alice, bob, carol)
	e.send(change)
	c.expect(change)
	c.expectTopics(map[string]int64{topicN: 2}, []string{})
	c.expect(e.publish(topicN, inbox.EventMessageCreated, message(3)))

	// The new topic resumes like any other, from the point it was added.
	d := e.dial(carol)
	d.hello()
	d.resume(map[string]int64{topicN: 1})
	d.expectSeqs(topicN, 2, 3)
}

// An assignment change committed while hello is on its way applies right
// after it.
func TestAssignDuringHello(t *testing.T) {
	e := newEnv(t, Options{})
	e.store.duringNextHello(func() {
		e.send(e.store.assign(numberM, carol, alice), e.store.assign(numberN, bob))
	})
	a := e.dial(alice)
	if got, want := a.hello().Topics, map[string]int64{topicCompany: 0, topicN: 0}; !maps.Equal(got, want) {
		t.Fatalf("hello topics: got %v, want %v", got, want)
	}
	a.expectSeqs(topicCompany, 1, 1)
	// The two changes are applied in order: the removed topic's frame
	// follows the second change's event. The added topic is confirmed once
	// its seq is read, so its frame may come before or after the second
	// change's event, and before or after the removal.
	got := map[string]bool{}
	secondSeen := false
	for range 3 {
		f := a.next()
		if f.Topic == topicCompany && f.Seq == 2 {
			secondSeen = true
			continue
		}
		var data topicsData
		if err := json.Unmarshal(f.Data, &data); err != nil || f.Type != "topics" {
			t.Fatalf("got %v, want company:1#2 or a topics frame", f)
		}
		for name := range data.Added {
			got["+"+name] = true
		}
		for _, name := range data.Removed {
			if !secondSeen {
				t.Fatalf("topic %s removed before the change that removes it (company:1#2)", name)
			}
			got["-"+name] = true
		}
	}
	if !secondSeen {
		t.Fatal("company:1#2 never came")
	}
	if want := map[string]bool{"+" + topicM: true, "-" + topicN: true}; !maps.Equal(got, want) {
		t.Fatalf("topic changes: got %v, want %v", got, want)
	}
	evM := e.publish(topicM, inbox.EventMessageCreated, message(1))
	e.publish(topicN, inbox.EventMessageCreated, message(1))
	a.expect(evM)
	a.expect(e.marker())
}
