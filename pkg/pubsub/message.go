package pubsub

import (
	"encoding/json"
	"errors"
	"fmt"

	"smsinbox/pkg/inbox"
)

// message is the JSON that travels on the Redis channel: one published batch
// and the Redis value that published it, so its own subscribers can skip what
// Publish already delivered to them. CreatedAt does not travel.
type message struct {
	Origin string        `json:"origin"`
	Events []inbox.Event `json:"events"`
}

// encodeMessage returns the compact JSON of a batch.
func encodeMessage(origin string, events []inbox.Event) ([]byte, error) {
	b, err := json.Marshal(message{Origin: origin, Events: events})
	if err != nil {
		return nil, fmt.Errorf("encode bus message: %w", err)
	}
	return b, nil
}

// decodeMessage parses a message read from the channel. Anything another
// publisher or a person with redis-cli may have sent is rejected unless it is
// a non-empty batch of routable events with an origin.
func decodeMessage(payload string) (message, error) {
	var m message
	if err := json.Unmarshal([]byte(payload), &m); err != nil {
		return message{}, fmt.Errorf("decode bus message: %w", err)
	}
	if m.Origin == "" {
		return message{}, errors.New("decode bus message: no origin")
	}
	if len(m.Events) == 0 {
		return message{}, errors.New("decode bus message: no events")
	}
	for i, e := range m.Events {
		if e.Topic == "" || e.Type == "" {
			return message{}, fmt.Errorf("decode bus message: event %d has no topic or type", i)
		}
	}
	return m, nil
}
