package plivo

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/url"
	"strings"

	plivogo "github.com/plivo/plivo-go/v7"
)

// PostError is a webhook post that the server answered with a non-2xx status.
type PostError struct {
	URL        string
	StatusCode int
	Body       string // the start of the answer, for the logs
}

func (e *PostError) Error() string {
	return fmt.Sprintf("POST %s: answered %d: %s", e.URL, e.StatusCode, e.Body)
}

// maxPostErrorBody bounds the answer kept in a PostError.
const maxPostErrorBody = 512

// SignedPost posts params as a form to fullURL, signed the way Plivo signs
// its webhooks: a V3 signature over POST, fullURL and params with a fresh
// nonce, computed by plivo-go's ComputeSignatureV3 with authToken. Each key
// of params must have exactly one value. A non-2xx answer is a *PostError.
// The dev simulator and `inboxd simulate inbound` use it.
func SignedPost(ctx context.Context, client *http.Client, authToken, fullURL string, params url.Values) error {
	if _, err := url.Parse(fullURL); err != nil {
		return fmt.Errorf("signed post: %w", err)
	}
	flat, err := singleValues(params)
	if err != nil {
		return fmt.Errorf("signed post to %s: %w", fullURL, err)
	}
	nonce, err := newNonce()
	if err != nil {
		return fmt.Errorf("signed post to %s: %w", fullURL, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, fullURL, strings.NewReader(params.Encode()))
	if err != nil {
		return fmt.Errorf("signed post: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set(HeaderSignatureV3, plivogo.ComputeSignatureV3(authToken, fullURL, http.MethodPost, nonce, flat))
	req.Header.Set(HeaderNonceV3, nonce)
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("signed post: %w", err)
	}
	defer resp.Body.Close()
	head, _ := io.ReadAll(io.LimitReader(resp.Body, maxPostErrorBody))
	// Drain a little more so the connection can be reused.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return &PostError{URL: fullURL, StatusCode: resp.StatusCode, Body: strings.TrimSpace(string(head))}
	}
	return nil
}

// newNonce returns a random 20-digit nonce, the shape Plivo's have.
func newNonce() (string, error) {
	n, err := rand.Int(rand.Reader, new(big.Int).Exp(big.NewInt(10), big.NewInt(20), nil))
	if err != nil {
		return "", fmt.Errorf("nonce: %w", err)
	}
	return fmt.Sprintf("%020d", n), nil
}

// newUUID returns a random (version 4) UUID, the form of Plivo's message ids.
func newUUID() string {
	var b [16]byte
	// crypto/rand.Read never fails (it crashes the program instead).
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
