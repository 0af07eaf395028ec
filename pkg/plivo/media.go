package plivo

import (
	"context"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"smsinbox/pkg/inbox"
)

// MaxMediaBytes bounds one media file fetched for the UI: Plivo limits an
// MMS, text and media together, to 5 MB.
const MaxMediaBytes = 5 << 20

var _ inbox.MediaFetcher = (*Sender)(nil)

// FetchMedia fetches an inbound MMS's media file from Plivo with the
// account's credentials, so that the browser gets it through inboxd and
// never sees them. Only Plivo's own hosts (the API host configured, or
// plivo.com and its subdomains) get the credentials; any other URL is
// not_found, so a forged URL cannot make the server send them elsewhere or
// fetch from inside the network. Only images, video, audio and PDF are
// passed on (as their own content type), never HTML or script.
func (s *Sender) FetchMedia(ctx context.Context, rawURL string) (io.ReadCloser, string, error) {
	u, err := url.Parse(rawURL)
	if err != nil || !s.plivoHost(u) {
		return nil, "", inbox.NotFound("media")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, "", inbox.NotFound("media")
	}
	req.SetBasicAuth(s.authID, s.authToken)
	// Unlike a send, a media fetch may follow Plivo's redirect to its file
	// store; Go drops the credentials when a redirect leaves the host.
	client := *s.client
	client.CheckRedirect = nil
	resp, err := client.Do(req)
	if err != nil {
		return nil, "", inbox.Unavailable("Plivo", err)
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		if resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusGone {
			return nil, "", inbox.NotFound("media")
		}
		return nil, "", inbox.Unavailable("Plivo", fmt.Errorf("media %s: status %d", u.Path, resp.StatusCode))
	}
	ct := mediaType(resp.Header.Get("Content-Type"))
	if ct == "" {
		resp.Body.Close()
		return nil, "", inbox.Errorf(inbox.KindNotFound, "not_found", "media of a type the inbox does not show")
	}
	return readCloser{io.LimitReader(resp.Body, MaxMediaBytes), resp.Body}, ct, nil
}

// plivoHost reports whether u is on Plivo: the configured API host, or
// plivo.com and its subdomains, over https (or the API URL's own scheme).
func (s *Sender) plivoHost(u *url.URL) bool {
	if s.apiURL != nil && u.Scheme == s.apiURL.Scheme && u.Host == s.apiURL.Host {
		return true
	}
	h := strings.ToLower(u.Hostname())
	return u.Scheme == "https" && (h == "plivo.com" || strings.HasSuffix(h, ".plivo.com"))
}

// mediaType is the content type to pass on, or "" for one not shown.
func mediaType(header string) string {
	t, _, err := mime.ParseMediaType(header)
	if err != nil {
		return ""
	}
	switch {
	case strings.HasPrefix(t, "image/") && t != "image/svg+xml", strings.HasPrefix(t, "video/"),
		strings.HasPrefix(t, "audio/"), t == "application/pdf":
		return t
	}
	return ""
}

type readCloser struct {
	io.Reader
	io.Closer
}
