package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
)

// Frame types the bench looks at (docs/API.md, "Real-time").
const (
	typeHello          = "hello"
	typeMessageCreated = "message.created"
	typeThreadRead     = "thread.read"
	typeResync         = "resync"
)

// frameInfo is what the bench needs from one server frame.
type frameInfo struct {
	typ   string
	topic string
	seq   int64
	// uuid and threadID are the message's plivo_uuid and thread_id, for
	// message.created.
	uuid     string
	threadID int64
}

// The server writes every frame as {"type":…,"topic":…,"seq":…,"data":…}
// (pkg/hub's wire struct), so the header is read without a JSON decoder;
// anything else falls back to encoding/json.
var (
	hdrType  = []byte(`{"type":"`)
	hdrTopic = []byte(`","topic":"`)
	hdrSeq   = []byte(`","seq":`)
	hdrData  = []byte(`,"data":`)
	keyMsg   = []byte(`"message":{`)
	keyUUID  = []byte(`"plivo_uuid":`)
	keyTh    = []byte(`"thread_id":`)
)

// parseFrame reads a frame's type, topic and seq, and for message.created
// the message's plivo_uuid and thread_id.
func parseFrame(b []byte) (frameInfo, error) {
	f, ok := scanHeader(b)
	if !ok {
		var w struct {
			Type  string `json:"type"`
			Topic string `json:"topic"`
			Seq   int64  `json:"seq"`
		}
		if err := json.Unmarshal(b, &w); err != nil {
			return f, err
		}
		f = frameInfo{typ: w.Type, topic: w.Topic, seq: w.Seq}
	}
	if f.typ != typeMessageCreated {
		return f, nil
	}
	if f.uuid, f.threadID, ok = scanMessage(b); ok {
		return f, nil
	}
	var w struct {
		Data struct {
			Message struct {
				ThreadID  int64   `json:"thread_id"`
				PlivoUUID *string `json:"plivo_uuid"`
			} `json:"message"`
		} `json:"data"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return f, err
	}
	if w.Data.Message.PlivoUUID == nil {
		return f, errors.New("message.created without a plivo_uuid")
	}
	f.uuid, f.threadID = *w.Data.Message.PlivoUUID, w.Data.Message.ThreadID
	return f, nil
}

// scanHeader reads the fixed header the hub writes; ok is false for any
// other shape (then the caller decodes the JSON).
func scanHeader(b []byte) (f frameInfo, ok bool) {
	rest, ok := bytes.CutPrefix(b, hdrType)
	if !ok {
		return f, false
	}
	typ, rest, ok := plainString(rest)
	if !ok {
		return f, false
	}
	if rest, ok = bytes.CutPrefix(rest, hdrTopic); !ok {
		return f, false
	}
	topic, rest, ok := plainString(rest)
	if !ok {
		return f, false
	}
	if rest, ok = bytes.CutPrefix(rest, hdrSeq); !ok {
		return f, false
	}
	end := bytes.IndexByte(rest, ',')
	if end < 0 || !bytes.HasPrefix(rest[end:], hdrData) {
		return f, false
	}
	seq, err := strconv.ParseInt(string(rest[:end]), 10, 64)
	if err != nil {
		return f, false
	}
	return frameInfo{typ: string(typ), topic: string(topic), seq: seq}, true
}

// plainString reads a JSON string body up to its closing quote, refusing
// escapes; rest starts at the closing quote.
func plainString(b []byte) (s, rest []byte, ok bool) {
	end := bytes.IndexByte(b, '"')
	if end < 0 || bytes.IndexByte(b[:end], '\\') >= 0 {
		return nil, nil, false
	}
	return b[:end], b[end:], true
}

// scanMessage finds the top-level "message" object of message.created data
// and reads its plivo_uuid and thread_id. The key "message" occurs nowhere
// else in that data (the thread's copy is "last_message"), the message
// object holds no nested object with either field, and a quote inside a
// string value is always escaped, so the first match after it is the
// message's own whichever order the object's keys come in.
func scanMessage(b []byte) (uuid string, threadID int64, ok bool) {
	i := bytes.Index(b, keyMsg)
	if i < 0 {
		return "", 0, false
	}
	obj := b[i+len(keyMsg):]
	j := bytes.Index(obj, keyUUID)
	if j < 0 {
		return "", 0, false
	}
	v, found := bytes.CutPrefix(obj[j+len(keyUUID):], []byte(`"`))
	if !found {
		return "", 0, false
	}
	s, _, ok := plainString(v)
	if !ok || len(s) == 0 {
		return "", 0, false
	}
	k := bytes.Index(obj, keyTh)
	if k < 0 {
		return "", 0, false
	}
	num := obj[k+len(keyTh):]
	end := 0
	for end < len(num) && num[end] >= '0' && num[end] <= '9' {
		end++
	}
	id, err := strconv.ParseInt(string(num[:end]), 10, 64)
	if err != nil {
		return "", 0, false
	}
	return string(s), id, true
}

// helloTopics reads the topics and their seqs from a hello frame.
func helloTopics(b []byte) (map[string]int64, error) {
	var w struct {
		Data struct {
			Topics map[string]int64 `json:"topics"`
		} `json:"data"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return nil, err
	}
	return w.Data.Topics, nil
}

// readKey returns the matcher key of a thread.read frame: the thread and
// the read_at the read stored, which the read's API answer carries too.
func readKey(b []byte) (string, error) {
	var w struct {
		Data struct {
			Thread threadRef `json:"thread"`
		} `json:"data"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return "", err
	}
	return w.Data.Thread.key()
}

// threadRef is the part of a Thread that identifies one read of it.
type threadRef struct {
	ID     int64   `json:"id"`
	ReadAt *string `json:"read_at"`
}

func (t threadRef) key() (string, error) {
	if t.ID == 0 || t.ReadAt == nil {
		return "", errors.New("thread without id or read_at")
	}
	return "read:" + strconv.FormatInt(t.ID, 10) + "@" + *t.ReadAt, nil
}
