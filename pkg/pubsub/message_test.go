package pubsub

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"smsinbox/pkg/inbox"
)

func TestMessageRoundTrip(t *testing.T) {
	events := []inbox.Event{
		{Topic: "number:3", Seq: 41, Type: inbox.EventMessageCreated, Data: json.RawMessage(`{"thread":{"id":1}}`), CreatedAt: time.Now()},
		{Topic: "number:3", Type: inbox.EventTyping, Data: json.RawMessage(`{"thread_id":1}`)},
	}
	payload, err := encodeMessage("me", events)
	if err != nil {
		t.Fatalf("encode: got %v, want nil", err)
	}
	wantJSON := `{"origin":"me","events":[` +
		`{"topic":"number:3","seq":41,"type":"message.created","data":{"thread":{"id":1}}},` +
		`{"topic":"number:3","seq":0,"type":"typing","data":{"thread_id":1}}]}`
	if string(payload) != wantJSON {
		t.Errorf("encoded: got %s, want %s", payload, wantJSON)
	}
	m, err := decodeMessage(string(payload))
	if err != nil {
		t.Fatalf("decode: got %v, want nil", err)
	}
	// CreatedAt does not travel.
	events[0].CreatedAt = time.Time{}
	if want := (message{Origin: "me", Events: events}); !reflect.DeepEqual(m, want) {
		t.Errorf("decoded: got %+v, want %+v", m, want)
	}
}

func TestDecodeMessageRejects(t *testing.T) {
	for _, tc := range []struct{ name, payload string }{
		{"empty", ""},
		{"not JSON", "hello"},
		{"bare array", `[{"topic":"number:1","type":"typing"}]`},
		{"no origin", `{"events":[{"topic":"number:1","type":"typing"}]}`},
		{"no events", `{"origin":"x"}`},
		{"empty events", `{"origin":"x","events":[]}`},
		{"event without topic", `{"origin":"x","events":[{"type":"typing"}]}`},
		{"event without type", `{"origin":"x","events":[{"topic":"number:1"}]}`},
		{"data not JSON", `{"origin":"x","events":[{"topic":"number:1","type":"typing","data":nope}]}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if m, err := decodeMessage(tc.payload); err == nil {
				t.Errorf("decodeMessage(%q): got %+v, want an error", tc.payload, m)
			}
		})
	}
}

func TestEncodeMessageRejectsInvalidData(t *testing.T) {
	events := []inbox.Event{{Topic: "number:1", Type: inbox.EventTyping, Data: json.RawMessage(`{"broken`)}}
	if payload, err := encodeMessage("me", events); err == nil {
		t.Errorf("encodeMessage: got %s, want an error", payload)
	}
}
