package plivo

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"

	plivogo "github.com/plivo/plivo-go/v7"

	"smsinbox/pkg/inbox"
)

// The headers Plivo signs its webhooks with.
const (
	HeaderSignatureV3 = "X-Plivo-Signature-V3"
	HeaderNonceV3     = "X-Plivo-Signature-V3-Nonce"
	HeaderSignatureV2 = "X-Plivo-Signature-V2"
	// HeaderSignatureMaV2 is the V2 signature made with the main account's
	// auth token; it shares HeaderNonceV2.
	HeaderSignatureMaV2 = "X-Plivo-Signature-Ma-V2"
	HeaderNonceV2       = "X-Plivo-Signature-V2-Nonce"
)

// MaxKeys is the most keys a webhook form (body and query together) may
// have. Plivo's have a few dozen; a form of thousands costs parsing and
// signing time before it can be refused, so it is refused first, by
// counting separators in the raw body.
const MaxKeys = 100

// NonceLedger remembers the nonce of every V2 webhook with a digest of the
// URL and form it came with (pkg/store implements it). V2 signs the URL and
// the nonce only: without the ledger, one captured signature would carry any
// form.
type NonceLedger interface {
	// ClaimNonce records nonce with digest unless it is known, and reports
	// whether the nonce stands for digest: true for a new nonce or a
	// repeat of the same request, false for another request.
	ClaimNonce(ctx context.Context, nonce, digest string) (bool, error)
}

// DefaultMaxBytes is the webhook body limit when Verifier.MaxBytes is zero:
// far above the largest message Plivo posts (1,600 characters, each up to
// nine bytes once percent-encoded, plus a few dozen short fields).
const DefaultMaxBytes = 64 << 10

// The reasons Verify refuses a request. Verify returns each as the cause of
// an *inbox.Error, wrapped with a precise reason for the logs, so that
// errors.Is tells them apart and the web layer maps them by kind alone:
//
//   - ErrBadSignature (a missing, wrong or stale signature) and ErrMalformed
//     (not a form POST, or a form a signature cannot cover unambiguously,
//     such as a repeated key) are both KindForbidden, code bad_signature
//     (403): a request that cannot be verified is refused like a forged one.
//   - ErrTooLarge is KindTooLarge, code body_too_large (413).
//
// A verifier without an auth token or a usable PublicURL refuses everything
// with a KindInternal error (webhook_misconfigured), which the web layer
// answers 503, so that Plivo retries once the configuration is fixed.
var (
	ErrBadSignature = errors.New("plivo webhook: missing or invalid signature")
	ErrMalformed    = errors.New("plivo webhook: malformed request")
	ErrTooLarge     = errors.New("plivo webhook: body too large")
	// ErrNonceReplayed is a V2 nonce seen before with another URL or form:
	// a captured signature carrying a forged request. It is an
	// ErrBadSignature.
	ErrNonceReplayed = fmt.Errorf("%w: a V2 nonce came again with another request", ErrBadSignature)
	// errLedger is the nonce ledger failing: answered 503, so that Plivo
	// retries.
	errLedger = errors.New("plivo webhook: the nonce ledger failed")
)

// Verifier checks that a webhook request comes from Plivo, before anything
// in it is used, and reads it in the inbox's terms: Inbound and Status are
// what the web layer's webhook handlers call.
type Verifier struct {
	// PublicURL is the base URL Plivo calls, such as
	// "https://inbox.example.com" (any trailing slash is ignored). The URL
	// Plivo signed is PublicURL + the request's path + its query; a path
	// prefix in PublicURL suits a proxy that strips one.
	PublicURL string
	// AuthToken is the Plivo auth token the signatures are keyed with.
	AuthToken string
	// MaxBytes limits the body; zero or less means DefaultMaxBytes.
	MaxBytes int64
	// Nonces keeps the V2 nonces. Without it, V2 signatures are refused
	// (503 webhook_misconfigured): they cannot be trusted alone.
	Nonces NonceLedger
}

// Verify reads and strictly parses the form body of a Plivo webhook and
// checks its signature; it returns the form only when the signature is good.
// The body is put back on r, so it can still be read.
//
// The form must be application/x-www-form-urlencoded, with every key once,
// in the body and in the query alike (plivo-go signs one value per key, so a
// second value would ride along unsigned), and no key in both (V3 signs them
// apart, but anything reading r.FormValue would see them merged).
//
// The signature is Plivo's V3 (X-Plivo-Signature-V3, which may hold several
// comma-separated signatures, any of which may match, with
// X-Plivo-Signature-V3-Nonce) over the method POST, the URL Plivo called and
// the form. Only when no V3 header is present is a V2 signature
// (X-Plivo-Signature-V2 with its nonce) accepted instead: V2 signs only the
// URL and nonce, not the form, so it is the weaker proof and never a
// fallback for a failed V3; X-Plivo-Signature-Ma-V2 (the main account's)
// counts as V2. Expected signatures are computed with plivo-go and compared
// in constant time (plivo-go's Validate functions use ==). A V3 nonce seen
// before is not an error: Plivo repeats deliveries with the same nonce, and
// de-duplication is on the MessageUUID. A V2 nonce is claimed in the Nonces
// ledger with a digest of the URL and form: the same nonce with the same
// request is Plivo's retry, with another it is a forgery (ErrNonceReplayed).
//
// Before any of that, a form of more than MaxKeys keys is refused as too
// large, by counting separators in the raw body and query.
//
// Every error is an *inbox.Error; see ErrBadSignature for the kinds.
func (v Verifier) Verify(r *http.Request) (url.Values, error) {
	form, reason, err := v.verify(r)
	if err != nil {
		webhookRejections.WithLabelValues(reason).Inc()
		return nil, refusal(err)
	}
	return form, nil
}

// Inbound verifies the inbound-message webhook r and reads it (ParseInbound).
// A refused request is an error of Verify's; a verified form that lacks what
// a text needs is KindInvalid.
func (v Verifier) Inbound(r *http.Request) (inbox.InboundSMS, error) {
	form, err := v.Verify(r)
	if err != nil {
		return inbox.InboundSMS{}, err
	}
	return ParseInbound(form)
}

// Status verifies the delivery-status webhook r and reads it (ParseStatus),
// with our message id from its URL's query. A refused request is an error of
// Verify's; a verified report we cannot read is KindInvalid.
func (v Verifier) Status(r *http.Request) (inbox.StatusUpdate, error) {
	form, err := v.Verify(r)
	if err != nil {
		return inbox.StatusUpdate{}, err
	}
	return ParseStatus(form, r.URL.Query())
}

// refusal is the inbox error for a reason of verify's to refuse a request.
func refusal(err error) *inbox.Error {
	switch {
	case errors.Is(err, errLedger):
		return inbox.Unavailable("the webhook nonce ledger", err)
	case errors.Is(err, ErrTooLarge):
		return &inbox.Error{Kind: inbox.KindTooLarge, Code: "body_too_large",
			Message: fmt.Sprintf("the webhook body is too large (over %d keys, or %d bytes)", MaxKeys, DefaultMaxBytes), Err: err}
	case errors.Is(err, ErrBadSignature):
		return &inbox.Error{Kind: inbox.KindForbidden, Code: "bad_signature",
			Message: "the Plivo signature is missing, wrong or does not cover this request", Err: err}
	case errors.Is(err, ErrMalformed):
		// A repeated key would ride along unsigned: what cannot be
		// verified is refused like what is forged.
		return &inbox.Error{Kind: inbox.KindForbidden, Code: "bad_signature",
			Message: "the webhook is not a form a Plivo signature can cover (a repeated key, a bad escape, or not a form POST)", Err: err}
	}
	return &inbox.Error{Kind: inbox.KindInternal, Code: "webhook_misconfigured",
		Message: "the server cannot verify Plivo webhooks: its Plivo settings are wrong", Err: err}
}

func (v Verifier) verify(r *http.Request) (url.Values, string, error) {
	base, err := v.baseURL()
	if err != nil {
		return nil, "config", err
	}
	if r.Method != http.MethodPost {
		return nil, "malformed", fmt.Errorf("%w: method %s, want POST", ErrMalformed, r.Method)
	}
	if ct := r.Header.Get("Content-Type"); !isFormContentType(ct) {
		return nil, "malformed", fmt.Errorf("%w: content type %q, want application/x-www-form-urlencoded", ErrMalformed, ct)
	}
	body, err := v.readBody(r)
	if err != nil {
		if errors.Is(err, ErrTooLarge) {
			return nil, "too_large", err
		}
		return nil, "malformed", err
	}
	if n := countKeys(body) + countKeys([]byte(r.URL.RawQuery)); n > MaxKeys {
		return nil, "too_many_keys", fmt.Errorf("%w: %d keys or more, at most %d", ErrTooLarge, n, MaxKeys)
	}
	form, err := parseStrictForm(string(body))
	if err != nil {
		return nil, "malformed", fmt.Errorf("%w: body: %w", ErrMalformed, err)
	}
	query, err := parseStrictForm(r.URL.RawQuery)
	if err != nil {
		return nil, "malformed", fmt.Errorf("%w: query: %w", ErrMalformed, err)
	}
	for k := range query {
		if _, both := form[k]; both {
			return nil, "malformed", fmt.Errorf("%w: key %q is in both the query and the body", ErrMalformed, k)
		}
	}
	fullURL := base + r.URL.EscapedPath()
	if r.URL.RawQuery != "" {
		fullURL += "?" + r.URL.RawQuery
	}
	// plivo-go panics on a URL it cannot parse; parse it first.
	if _, err := url.Parse(fullURL); err != nil {
		return nil, "malformed", fmt.Errorf("%w: request URL: %w", ErrMalformed, err)
	}
	version, reason, err := v.checkSignature(r.Header, fullURL, form)
	if err != nil {
		return nil, reason, err
	}
	if version == "V2" {
		if reason, err := v.claimNonce(r.Context(), r.Header.Get(HeaderNonceV2), fullURL, form); err != nil {
			return nil, reason, err
		}
	}
	return form, "", nil
}

// countKeys is at least the number of keys of a raw form: its separators
// plus one.
func countKeys(raw []byte) int {
	if len(raw) == 0 {
		return 0
	}
	return bytes.Count(raw, []byte("&")) + 1
}

// claimNonce accepts a V2 nonce only with the URL and form it first came
// with.
func (v Verifier) claimNonce(ctx context.Context, nonce, fullURL string, form url.Values) (string, error) {
	if v.Nonces == nil {
		return "config", errors.New("plivo webhook: a V2 signature, and no nonce ledger to check it against")
	}
	sum := sha256.Sum256([]byte(fullURL + "\x00" + form.Encode()))
	same, err := v.Nonces.ClaimNonce(ctx, nonce, hex.EncodeToString(sum[:]))
	switch {
	case err != nil:
		return "ledger", fmt.Errorf("%w: %w", errLedger, err)
	case !same:
		return "nonce_replayed", fmt.Errorf("%w (nonce %s, %s)", ErrNonceReplayed, nonce, fullURL)
	}
	return "", nil
}

// checkSignature checks the V3 signature, or the V2 one when no V3 header is
// present, and says which it checked.
func (v Verifier) checkSignature(h http.Header, fullURL string, form url.Values) (version, reason string, err error) {
	if sigs, ok := h[http.CanonicalHeaderKey(HeaderSignatureV3)]; ok {
		nonce := h.Get(HeaderNonceV3)
		if nonce == "" {
			return "V3", "missing_signature", fmt.Errorf("%w: %s without %s", ErrBadSignature, HeaderSignatureV3, HeaderNonceV3)
		}
		params, err := singleValues(form)
		if err != nil {
			return "V3", "malformed", fmt.Errorf("%w: %w", ErrMalformed, err)
		}
		want := plivogo.ComputeSignatureV3(v.AuthToken, fullURL, http.MethodPost, nonce, params)
		reason, err := matchSignature(sigs, want, "V3", fullURL)
		return "V3", reason, err
	}
	v2, hasV2 := h[http.CanonicalHeaderKey(HeaderSignatureV2)]
	ma, hasMa := h[http.CanonicalHeaderKey(HeaderSignatureMaV2)]
	if hasV2 || hasMa {
		nonce := h.Get(HeaderNonceV2)
		if nonce == "" {
			return "V2", "missing_signature", fmt.Errorf("%w: %s without %s", ErrBadSignature, HeaderSignatureV2, HeaderNonceV2)
		}
		want := plivogo.ComputeSignatureV2(v.AuthToken, fullURL, nonce)
		reason, err := matchSignature(append(slices.Clone(v2), ma...), want, "V2", fullURL)
		return "V2", reason, err
	}
	return "", "missing_signature", fmt.Errorf("%w: neither %s nor %s is present", ErrBadSignature, HeaderSignatureV3, HeaderSignatureV2)
}

// matchSignature reports whether any of the comma-separated signatures in
// the header lines equals want, comparing each in constant time.
func matchSignature(lines []string, want, version, fullURL string) (string, error) {
	candidates, match := 0, false
	for _, line := range lines {
		for _, sig := range strings.Split(line, ",") {
			sig = strings.TrimSpace(sig)
			if sig == "" {
				continue
			}
			candidates++
			// Keep looping after a match: the time taken does not depend on
			// which candidate matched.
			if hmac.Equal([]byte(sig), []byte(want)) {
				match = true
			}
		}
	}
	switch {
	case candidates == 0:
		return "missing_signature", fmt.Errorf("%w: the %s signature header is empty", ErrBadSignature, version)
	case !match:
		return "bad_signature", fmt.Errorf("%w: none of %d %s signatures matches %s (wrong auth token, URL or form)", ErrBadSignature, candidates, version, fullURL)
	}
	return "", nil
}

// readBody reads at most MaxBytes of the body and puts what it read back.
func (v Verifier) readBody(r *http.Request) ([]byte, error) {
	if r.Body == nil {
		return nil, nil
	}
	limit := v.MaxBytes
	if limit <= 0 {
		limit = DefaultMaxBytes
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	if err != nil {
		return nil, fmt.Errorf("%w: read body: %w", ErrMalformed, err)
	}
	if int64(len(body)) > limit {
		return nil, fmt.Errorf("%w: more than %d bytes", ErrTooLarge, limit)
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	return body, nil
}

// baseURL validates PublicURL and returns it without a trailing slash.
func (v Verifier) baseURL() (string, error) {
	if v.AuthToken == "" {
		return "", errors.New("plivo webhook: verifier has no auth token; refusing every request")
	}
	u, err := url.Parse(v.PublicURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("plivo webhook: public URL %q is not an absolute http(s) URL without query", v.PublicURL)
	}
	return strings.TrimRight(v.PublicURL, "/"), nil
}

func isFormContentType(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	return err == nil && mt == "application/x-www-form-urlencoded"
}
