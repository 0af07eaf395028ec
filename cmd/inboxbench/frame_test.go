package main

import "testing"

func TestParseFrameMessageCreated(t *testing.T) {
	// As the hub writes a live event: data straight from the service, keys sorted.
	live := `{"type":"message.created","topic":"number:7","seq":42,"data":{"message":{"id":9,"thread_id":31,"number_id":7,"body":"bench \"message\":{ x","plivo_uuid":"bench-1-00000001","sent_by":null},"thread":{"id":31,"last_message":{"id":8,"thread_id":31,"plivo_uuid":"older"}}}}`
	// The same data with the thread first, as a store could give it back.
	stored := `{"type":"message.created","topic":"number:7","seq":42,"data":{"thread":{"id":31,"last_message":{"id":8,"thread_id":99,"plivo_uuid":"older"}},"message":{"id":9,"thread_id":31,"plivo_uuid":"bench-1-00000001"}}}`
	// Another layout entirely: the decoder takes over.
	spaced := `{"seq": 42, "type": "message.created", "topic": "number:7", "data": {"message": {"thread_id": 31, "plivo_uuid": "bench-1-00000001"}}}`
	for name, raw := range map[string]string{"live": live, "stored": stored, "spaced": spaced} {
		f, err := parseFrame([]byte(raw))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		want := frameInfo{typ: typeMessageCreated, topic: "number:7", seq: 42, uuid: "bench-1-00000001", threadID: 31}
		if f != want {
			t.Errorf("%s: got %+v, want %+v", name, f, want)
		}
	}
}

func TestParseFrameOthers(t *testing.T) {
	f, err := parseFrame([]byte(`{"type":"hello","topic":"","seq":0,"data":{"topics":{"number:3":41,"company:1":7}}}`))
	if err != nil || f.typ != typeHello || f.seq != 0 || f.topic != "" {
		t.Fatalf("hello: %+v, %v", f, err)
	}
	topics, err := helloTopics([]byte(`{"type":"hello","topic":"","seq":0,"data":{"topics":{"number:3":41,"company:1":7},"inbox":{"threads":[]}}}`))
	if err != nil || topics["number:3"] != 41 || topics["company:1"] != 7 {
		t.Errorf("hello topics: %v, %v", topics, err)
	}
	f, err = parseFrame([]byte(`{"type":"typing","topic":"number:3","seq":0,"data":{"thread_id":5}}`))
	if err != nil || f.typ != "typing" || f.topic != "number:3" {
		t.Errorf("typing: %+v, %v", f, err)
	}
	if _, err := parseFrame([]byte(`not json`)); err == nil {
		t.Error("garbage parsed")
	}
	if _, err := parseFrame([]byte(`{"type":"message.created","topic":"number:1","seq":1,"data":{"message":{"plivo_uuid":null}}}`)); err == nil {
		t.Error("a message.created without a uuid parsed")
	}
}

func TestReadKeyMatchesTheAnswer(t *testing.T) {
	frame := `{"type":"thread.read","topic":"number:3","seq":12,"data":{"thread":{"id":5,"contact":{"id":2},"read_at":"2026-01-02T03:04:05.123456Z","last_message":{"id":1}}}}`
	got, err := readKey([]byte(frame))
	if err != nil {
		t.Fatal(err)
	}
	at := "2026-01-02T03:04:05.123456Z"
	want, _ := threadRef{ID: 5, ReadAt: &at}.key()
	if got != want {
		t.Errorf("frame key %q, answer key %q", got, want)
	}
	if _, err := (threadRef{ID: 5}).key(); err == nil {
		t.Error("a thread never read has a key")
	}
}

func BenchmarkParseFrame(b *testing.B) {
	raw := []byte(`{"type":"message.created","topic":"number:7","seq":42,"data":{"message":{"id":9,"thread_id":31,"number_id":7,"contact_id":3,"direction":"inbound","body":"bench bench-1-00000001","status":"received","error_code":"","segments":1,"encoding":"GSM-7","sent_by":null,"plivo_uuid":"bench-1-00000001","created_at":"2026-01-02T03:04:05Z"},"thread":{"id":31,"number":{"id":7,"e164":"+14155550007","label":"Line 7"},"contact":{"id":3,"name":"C","phone":"+16462000003"},"unread_count":3}}}`)
	for b.Loop() {
		if _, err := parseFrame(raw); err != nil {
			b.Fatal(err)
		}
	}
}
