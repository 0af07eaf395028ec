package inbox_test

import (
	"fmt"
	"testing"

	"smsinbox/pkg/inbox"
)

// TestThreadsReadUnread: an inbound text raises the bell of the number's
// assignees only; a read clears it for all of them, once, and claims the
// thread for the reader; unread raises it again and ends the claim; a thread
// of a number the caller is not on is not_found.
func TestThreadsReadUnread(t *testing.T) {
	f := newFixture(t, nil, inbox.Config{})
	casey := f.contact("Casey", "+14155550177", ptr(true))
	in := f.receive(casey.Phone, f.main, "Is the job still open?", "u-1")

	box, err := f.svc.Inbox(f.ctx, f.ana)
	if err != nil || box.UnreadTotal != 1 || len(box.Threads) != 1 || box.Threads[0].UnreadCount != 1 ||
		box.Threads[0].LastMessage == nil || box.Threads[0].LastMessage.ID != in.ID {
		t.Fatalf("Ana's inbox: %+v, %v; want one thread, one unread, the text last", box, err)
	}
	th := box.Threads[0]
	if box, err := f.svc.Inbox(f.ctx, f.ben); err != nil || box.UnreadTotal != 0 || len(box.Threads) != 0 {
		t.Errorf("Ben's inbox (on no number): %+v, %v; want empty", box, err)
	}
	_, err = f.svc.MarkRead(f.ctx, f.ben, th.ID)
	wantError(t, "Ben reads a thread of a number he is not on", err, inbox.KindNotFound, "not_found")
	_, _, err = f.svc.ThreadMessages(f.ctx, f.ben, th.ID, inbox.Page{})
	wantError(t, "Ben opens a thread of a number he is not on", err, inbox.KindNotFound, "not_found")
	_, err = f.svc.MarkUnread(f.ctx, f.ana, 99999)
	wantError(t, "a thread that does not exist", err, inbox.KindNotFound, "not_found")

	topic := inbox.NumberTopic(f.main.ID)
	seq := f.seq(topic)
	read, err := f.svc.MarkRead(f.ctx, f.ana, th.ID)
	if err != nil || read.UnreadCount != 0 || read.ReadBy == nil || read.ReadBy.ID != f.ana.ID || read.ReadAt == nil ||
		read.ClaimedBy == nil || read.ClaimedBy.ID != f.ana.ID {
		t.Errorf("MarkRead: %+v, %v; want no unread, read and claimed by Ana", read, err)
	}
	if got := f.seq(topic); got != seq+2 {
		t.Errorf("MarkRead emitted %d events; want thread.read and thread.claimed", got-seq)
	}
	if _, err := f.svc.MarkRead(f.ctx, f.ana, th.ID); err != nil {
		t.Errorf("MarkRead of a read thread: %v", err)
	}
	if got := f.seq(topic); got != seq+2 {
		t.Errorf("reading a read thread emitted %d events; want none", got-seq-2)
	}

	unread, err := f.svc.MarkUnread(f.ctx, f.ana, th.ID)
	if err != nil || unread.UnreadCount != 1 || unread.ReadBy != nil || unread.ClaimedBy != nil {
		t.Errorf("MarkUnread: %+v, %v; want one unread, read and claimed by nobody", unread, err)
	}
	if _, err := f.svc.MarkUnread(f.ctx, f.ana, th.ID); err != nil {
		t.Errorf("MarkUnread of an unread thread: %v", err)
	}
	if got := f.seq(topic); got != seq+4 {
		t.Errorf("read, read, unread, unread emitted %d events; want 4 (read and claimed, unread and released)", got-seq)
	}

	// The read state is the number's: Ben, once assigned, reads it for Ana.
	f.assign(f.main, f.ana, f.ben)
	if _, err := f.svc.MarkRead(f.ctx, f.ben, th.ID); err != nil {
		t.Fatal(err)
	}
	if box, _ := f.svc.Inbox(f.ctx, f.ana); box.UnreadTotal != 0 {
		t.Errorf("after Ben read it, Ana's unread total is %d; want 0", box.UnreadTotal)
	}
	// A new text raises it again, and clears who read it.
	f.receive(casey.Phone, f.main, "Hello?", "u-2")
	if box, _ := f.svc.Inbox(f.ctx, f.ana); box.UnreadTotal != 1 || box.Threads[0].UnreadCount != 1 || box.Threads[0].ReadBy != nil {
		t.Errorf("after another text, Ana's inbox: %+v; want one unread, read by nobody", box)
	}
}

// TestThreadMessagesPages: a page is the newest Limit messages before
// Before, oldest first; a contact's messages are those on the caller's
// numbers only.
func TestThreadMessagesPages(t *testing.T) {
	f := newFixture(t, nil, inbox.Config{})
	casey := f.contact("Casey", "+14155550177", ptr(true))
	var ids []int64
	for i := range 5 {
		ids = append(ids, f.receive(casey.Phone, f.main, fmt.Sprintf("text %d", i), fmt.Sprintf("u-%d", i)).ID)
	}
	th, all, err := f.svc.ThreadMessages(f.ctx, f.ana, f.message(ids[0]).ThreadID, inbox.Page{})
	if err != nil || th.Number.ID != f.main.ID || len(all) != 5 || all[0].ID != ids[0] || all[4].ID != ids[4] {
		t.Fatalf("ThreadMessages: %d messages, %v; want the 5, oldest first", len(all), err)
	}
	for _, tt := range []struct {
		page inbox.Page
		want []int64
	}{
		{inbox.Page{Limit: 2}, ids[3:5]},
		{inbox.Page{Before: ids[3], Limit: 2}, ids[1:3]},
		{inbox.Page{Before: ids[1], Limit: 2}, ids[0:1]},
		{inbox.Page{Before: ids[0]}, nil},
		{inbox.Page{Limit: 501}, ids}, // out of bounds: the default, 100
	} {
		_, msgs, err := f.svc.ThreadMessages(f.ctx, f.ana, th.ID, tt.page)
		var got []int64
		for _, m := range msgs {
			got = append(got, m.ID)
		}
		if err != nil || fmt.Sprint(got) != fmt.Sprint(tt.want) {
			t.Errorf("page %+v: %v, %v; want %v", tt.page, got, err, tt.want)
		}
	}

	// Casey also texts the second number, which Ana is not on.
	f.receive(casey.Phone, f.second, "wrong number?", "u-second")
	threads, msgs, err := f.svc.ContactMessages(f.ctx, f.ana, casey.ID, inbox.Page{})
	if err != nil || len(threads) != 1 || len(msgs) != 5 {
		t.Errorf("Casey's messages for Ana: %d threads, %d messages, %v; want main's thread and its 5", len(threads), len(msgs), err)
	}
	f.assign(f.second, f.ana)
	threads, msgs, err = f.svc.ContactMessages(f.ctx, f.ana, casey.ID, inbox.Page{})
	if err != nil || len(threads) != 2 || len(msgs) != 6 {
		t.Errorf("Casey's messages for Ana on both numbers: %d threads, %d messages, %v; want 2 and 6", len(threads), len(msgs), err)
	}
	_, _, err = f.svc.ContactMessages(f.ctx, f.ana, 99999, inbox.Page{})
	wantError(t, "messages of a contact that does not exist", err, inbox.KindNotFound, "not_found")
}
