package inbox

import (
	"context"
	"io"
)

// MediaFetcher fetches an inbound MMS's media from the provider with the
// account's credentials (pkg/plivo's Sender). A Sender that cannot (the
// simulator) does not implement it.
type MediaFetcher interface {
	// FetchMedia returns the file at url and its content type.
	FetchMedia(ctx context.Context, url string) (io.ReadCloser, string, error)
}

// Media returns the n-th media file (from 0) of an inbound message the
// caller may see — a thread of one of their numbers — fetched from the
// provider: the browser gets it through the server, never the provider's
// credentials. Anything else is not_found.
func (s *Service) Media(ctx context.Context, caller User, messageID int64, n int) (io.ReadCloser, string, error) {
	m, err := s.store.Message(ctx, caller.CompanyID, messageID)
	if err != nil {
		return nil, "", err
	}
	if _, err := s.visibleThread(ctx, s.store, caller, m.ThreadID); err != nil {
		return nil, "", NotFound("message")
	}
	if n < 0 || n >= len(m.MediaURLs) {
		return nil, "", NotFound("media")
	}
	f, ok := s.sender.(MediaFetcher)
	if !ok {
		return nil, "", NotFound("media")
	}
	return f.FetchMedia(ctx, m.MediaURLs[n])
}
