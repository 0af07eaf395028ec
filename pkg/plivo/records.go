package plivo

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	plivogo "github.com/plivo/plivo-go/v7"
	"smsinbox/pkg/clock"
	"smsinbox/pkg/inbox"
)

// Plivo's Message list (GET /v1/Account/{auth_id}/Message/, plivo-go's
// Messages.List) returns message detail records: uuid, numbers, direction,
// state, type, time, charges, error code — never the words. It answers at
// most 20 records a page and 20 requests a minute, and keeps 90 days.
const (
	// RecordsPageSize is the most records Plivo answers per page.
	RecordsPageSize = 20
	// RecordsPerMinute is Plivo's rate limit on listing messages.
	RecordsPerMinute = 20
	// maxListRetries bounds the 429s one page may meet before a run gives up.
	maxListRetries = 5
	// defaultListPause is how long a 429 without Retry-After pauses listing.
	defaultListPause = time.Minute
	// recordTimeFilter is the form message_time__gt takes:
	// YYYY-MM-DD HH:MM[:ss[.uuuuuu]], in UTC.
	recordTimeFilter = "2006-01-02 15:04:05.000000"
)

// Records reads Plivo's message records with plivo-go's Messages.List,
// page by page, never faster than Plivo's rate limit; a 429 pauses it for
// Plivo's Retry-After. It implements inbox.MessageRecords and is safe for
// concurrent use (the pace is shared).
type Records struct {
	authID    string
	authToken string
	apiURL    *url.URL // nil: plivo-go's default
	client    *http.Client
	clock     clock.Clock
	pace      *window
	log       *slog.Logger
}

var _ inbox.MessageRecords = (*Records)(nil)

// RecordsOptions tunes Records; zero values take the defaults.
type RecordsOptions struct {
	// APIURL is the API's base URL (scheme and host only, such as a test
	// fake's); empty is Plivo's own.
	APIURL string
	// HTTPClient is copied, never changed; without a timeout the copy
	// gets DefaultTimeout.
	HTTPClient *http.Client
	// PerMinute is how many list requests may start in any minute
	// (default RecordsPerMinute, Plivo's limit).
	PerMinute int
	// Clock paces the requests (default the wall clock).
	Clock  clock.Clock
	Logger *slog.Logger
}

// NewRecords returns Records for the Plivo account authID/authToken; both
// are required.
func NewRecords(authID, authToken string, opts RecordsOptions) (*Records, error) {
	if authID == "" || authToken == "" {
		return nil, errors.New("plivo records: auth id and auth token are both required")
	}
	u, err := parseAPIURL(opts.APIURL)
	if err != nil {
		return nil, fmt.Errorf("plivo records: %w", err)
	}
	if opts.PerMinute <= 0 {
		opts.PerMinute = RecordsPerMinute
	}
	if opts.Clock == nil {
		opts.Clock = clock.Real()
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	return &Records{authID: authID, authToken: authToken, apiURL: u, client: apiClient(opts.HTTPClient),
		clock: opts.Clock, pace: newWindow(opts.Clock, opts.PerMinute, time.Minute), log: opts.Logger}, nil
}

// ListRecords lists the records of direction dir whose message_time is
// after after, newest first as Plivo lists them, calling page with each
// page's records. Pages follow meta.next (offset by the page size); since
// the list is newest first, a record that arrives meanwhile shifts the
// later pages, so a record may come twice but none is skipped. A record
// whose numbers or time cannot be read is logged and left out.
func (r *Records) ListRecords(ctx context.Context, dir inbox.Direction, after time.Time, page func([]inbox.MessageRecord) error) error {
	params := plivogo.MessageListParams{Limit: RecordsPageSize, MessageDirection: string(dir),
		MessageTimeGreaterThan: after.UTC().Format(recordTimeFilter)}
	for {
		list, err := r.listPage(ctx, params)
		if err != nil {
			return err
		}
		records := make([]inbox.MessageRecord, 0, len(list.Objects))
		for _, m := range list.Objects {
			rec, err := messageRecord(m)
			if err != nil {
				r.log.Warn("a Plivo message record cannot be read; it is left out", "uuid", m.MessageUUID, "err", err)
				continue
			}
			records = append(records, rec)
		}
		if err := page(records); err != nil {
			return err
		}
		next, ok := nextOffset(list, params.Offset)
		if !ok {
			return nil
		}
		params.Offset = next
	}
}

// listPage asks for one page, at the allowed pace, waiting out 429s.
func (r *Records) listPage(ctx context.Context, params plivogo.MessageListParams) (*plivogo.MessageList, error) {
	for attempt := 1; ; attempt++ {
		if err := r.pace.wait(ctx); err != nil {
			return nil, err
		}
		list, x, err := r.list(ctx, params)
		switch {
		case x.status >= 200 && x.status < 300 && err == nil:
			return list, nil
		case x.status == 0:
			if err == nil {
				err = errors.New("no response")
			}
			return nil, fmt.Errorf("plivo: list messages: %w", err)
		case x.status == http.StatusTooManyRequests && attempt < maxListRetries:
			pause := parseRetryAfter(x.header.Get("Retry-After"), r.clock.Now())
			if pause <= 0 {
				pause = defaultListPause
			}
			r.log.Info("Plivo asks to slow down listing messages", "pause", pause)
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-r.clock.After(pause):
			}
		case x.status >= 200 && x.status < 300:
			return nil, fmt.Errorf("plivo: list messages: answered %d, but: %w", x.status, err)
		default:
			return nil, fmt.Errorf("plivo: list messages: %w", newAPIError(x.status, err))
		}
	}
}

// list runs Messages.List once, tied to ctx, and reports what the exchange
// saw (plivo-go hides the HTTP status).
func (r *Records) list(ctx context.Context, params plivogo.MessageListParams) (*plivogo.MessageList, exchangeResult, error) {
	ex := &exchange{ctx: ctx, base: r.client.Transport}
	hc := *r.client
	hc.Transport = ex
	client, err := plivogo.NewClient(r.authID, r.authToken, &plivogo.ClientOptions{HttpClient: &hc})
	if err != nil {
		ex.finish()
		return nil, exchangeResult{}, fmt.Errorf("plivo: new client: %w", err)
	}
	if r.apiURL != nil {
		u := *r.apiURL
		client.BaseUrl = &u
	}
	list, err := client.Messages.List(params)
	return list, ex.finish(), err
}

// nextOffset is the offset of the page after list, from meta.next; false
// when there is none.
func nextOffset(list *plivogo.MessageList, offset int) (int, bool) {
	if list.Meta.Next == nil || *list.Meta.Next == "" || len(list.Objects) == 0 {
		return 0, false
	}
	if u, err := url.Parse(*list.Meta.Next); err == nil {
		if n, err := strconv.Atoi(u.Query().Get("offset")); err == nil && n > offset {
			return n, true
		}
	}
	return offset + len(list.Objects), true
}

// messageRecord turns one of plivo-go's Message records into the inbox's.
func messageRecord(m plivogo.Message) (inbox.MessageRecord, error) {
	if strings.TrimSpace(m.MessageUUID) == "" {
		return inbox.MessageRecord{}, errors.New("no message_uuid")
	}
	from, err := inbox.NormalizeProviderPhone(m.FromNumber)
	if err != nil {
		return inbox.MessageRecord{}, fmt.Errorf("from_number: %w", err)
	}
	to, err := inbox.NormalizeProviderPhone(m.ToNumber)
	if err != nil {
		return inbox.MessageRecord{}, fmt.Errorf("to_number: %w", err)
	}
	at, err := ParseRecordTime(m.MessageTime)
	if err != nil {
		return inbox.MessageRecord{}, err
	}
	rec := inbox.MessageRecord{UUID: strings.TrimSpace(m.MessageUUID), From: from, To: to,
		Direction: inbox.Direction(strings.ToLower(strings.TrimSpace(m.MessageDirection))),
		Type:      strings.ToLower(strings.TrimSpace(m.MessageType)), At: at}
	state := strings.ToLower(strings.TrimSpace(m.MessageState))
	if rec.Direction == inbox.Inbound {
		rec.Status = inbox.StatusReceived
	} else if st, ok := statusMap[state]; ok {
		rec.Status = st
	} else {
		// A state we have no word for: Plivo has the message, at least.
		rec.Status = inbox.StatusQueued
	}
	if rec.Status == inbox.StatusFailed || rec.Status == inbox.StatusUndelivered {
		rec.ErrorCode = truncate(strings.TrimSpace(m.ErrorCode), maxErrorCodeLen)
		rec.ErrorReason = ErrorReason(rec.ErrorCode)
		rec.OptedOut = OptOutCode(rec.ErrorCode)
	}
	return rec, nil
}

// recordTimeLayouts are the forms of a record's message_time: Plivo writes
// "2017-05-22 21:36:14+05:30", with microseconds in its newer fields.
var recordTimeLayouts = []string{"2006-01-02 15:04:05.999999999Z07:00", "2006-01-02 15:04:05.999999999", time.RFC3339Nano}

// ParseRecordTime reads a Plivo record's time; one without a zone is UTC.
func ParseRecordTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, layout := range recordTimeLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("message_time %q is not a time Plivo writes", truncate(s, 64))
}
