package plivo

import (
	"slices"
	"sync"
	"time"
)

// Directions of a PhoneMessage, seen from the simulated phone.
const (
	DirectionToPhone   = "to_phone"   // sent by smsinbox to the phone
	DirectionFromPhone = "from_phone" // sent by the phone to smsinbox
)

// PhoneMessage is one text on a simulated phone, for the /dev/phone page.
type PhoneMessage struct {
	ID        int64     `json:"id"`
	From      string    `json:"from"` // E.164
	To        string    `json:"to"`   // E.164
	Text      string    `json:"text"`
	Direction string    `json:"direction"`
	At        time.Time `json:"at"`
}

// phone reports which phone the message is on: the simulated one.
func (m PhoneMessage) phone() string {
	if m.Direction == DirectionFromPhone {
		return m.From
	}
	return m.To
}

// phoneLog keeps the latest texts of every simulated phone, oldest first,
// bounded so a long dev session cannot grow it without end.
type phoneLog struct {
	mu     sync.Mutex
	limit  int
	nextID int64
	msgs   []PhoneMessage
}

// add stores m with the next id and returns it.
func (l *phoneLog) add(m PhoneMessage) PhoneMessage {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.nextID++
	m.ID = l.nextID
	l.msgs = append(l.msgs, m)
	if over := len(l.msgs) - l.limit; over > 0 {
		l.msgs = slices.Delete(l.msgs, 0, over)
	}
	return m
}

// list returns the texts of phone (E.164), or of every phone when phone is
// empty, oldest first.
func (l *phoneLog) list(phone string) []PhoneMessage {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := []PhoneMessage{}
	for _, m := range l.msgs {
		if phone == "" || m.phone() == phone {
			out = append(out, m)
		}
	}
	return out
}
