package plivo

import (
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"smsinbox/pkg/inbox"
	"smsinbox/pkg/plivo/plivotest"
)

const (
	testToken  = "test-auth-token"
	testPublic = "https://inbox.example.com"
	testNonce  = "12345678901234567890"
)

// goldenParams are the form of plivo-go's published V3 vectors (utils_test.go).
var goldenParams = url.Values{
	"Direction":       {"outbound"},
	"From":            {"19792014278"},
	"ALegUUID":        {"3e82ae9d-2c78-4d85-b1a4-6eae7dbafb36"},
	"CallStatus":      {"in-progress"},
	"BillRate":        {"0.002"},
	"ParentAuthID":    {"MANWVLYTK4ZWU1YTY4QA"},
	"To":              {"sip:PlivoSignature382029104058171078704104@phone-qa.voice.plivodev.com"},
	"ALegRequestUUID": {"3e82ae9d-2c78-4d85-b1a4-6eae7dbafb36"},
	"CallUUID":        {"3e82ae9d-2c78-4d85-b1a4-6eae7dbafb36"},
	"RequestUUID":     {"3e82ae9d-2c78-4d85-b1a4-6eae7dbafb36"},
	"SIP-H-To":        {"<sip:PlivoSignature382029104058171078704104@52.9.11.55;transport=udp>;tag=1"},
	"SessionStart":    {"2020-04-08 11:34:33.238707"},
	"Event":           {"StartApp"},
}

// TestVerifyGoldenVectors replays plivo-go's own published vectors through
// Verify, as the requests Plivo would have made.
func TestVerifyGoldenVectors(t *testing.T) {
	const (
		token = "Y2Q2ZDgxZmY5YWRiOTI5YmQ1Njg0MTAxZWIyOTc4"
		nonce = "31627761595286130198"
		host  = "https://plivobin.non-prod.plivops.com"
	)
	tests := []struct {
		name, target, sig string
	}{
		{"V3 POST with query", host + "/api/v1/validate_signature03.xml/?a=b&c=d", "k7Pusd4OxCIjR5IfA9iedDNu/h/gbdYqdzG/MiYtd1c="},
		{"V3 POST without query", host + "/api/v1/validate_signature03.xml", "iAjE5QqI37mbkYe4w3jTMudqEzbDufdqi7sYwTu64e0="},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			h.Set("Content-Type", "application/x-www-form-urlencoded")
			h.Set(HeaderSignatureV3, tt.sig)
			h.Set(HeaderNonceV3, nonce)
			r := plivotest.WebhookRequest(tt.target, goldenParams.Encode(), h)
			form, err := Verifier{PublicURL: host, AuthToken: token}.Verify(r)
			if err != nil {
				t.Fatalf("Verify(golden %s) = %v; want nil", tt.name, err)
			}
			if got, want := form.Get("SIP-H-To"), goldenParams.Get("SIP-H-To"); got != want {
				t.Errorf("form SIP-H-To = %q; want %q", got, want)
			}
			// The same request with the token changed must fail.
			r = plivotest.WebhookRequest(tt.target, goldenParams.Encode(), h)
			if _, err := (Verifier{PublicURL: host, AuthToken: token + "x"}).Verify(r); !errors.Is(err, ErrBadSignature) {
				t.Errorf("Verify(golden, wrong token) = %v; want ErrBadSignature", err)
			}
		})
	}

	t.Run("V2", func(t *testing.T) {
		h := http.Header{}
		h.Set("Content-Type", "application/x-www-form-urlencoded")
		h.Set(HeaderSignatureV2, "ehV3IKhLysWBxC1sy8INm0qGoQYdYsHwuoKjsX7FsXc=")
		h.Set(HeaderNonceV2, "12345")
		r := plivotest.WebhookRequest("https://answer.url", "", h)
		if _, err := (Verifier{PublicURL: "https://answer.url", AuthToken: "my_auth_token", Nonces: &plivotest.Nonces{}}).Verify(r); err != nil {
			t.Fatalf("Verify(golden V2) = %v; want nil", err)
		}
	})

	// plivo-go's GET vectors are valid signatures, but webhooks are POSTs.
	t.Run("GET refused", func(t *testing.T) {
		target := host + "/api/v1/validate_signature03.xml/?a=b&c=d"
		r := plivotest.WebhookRequest(target, "", http.Header{})
		r.Method = http.MethodGet
		r.Header.Set(HeaderSignatureV3, "UBq8jAtd32wR8EK9VgxbBn4n5rpI/l1H9iN4WfSEHFQ=")
		r.Header.Set(HeaderNonceV3, nonce)
		if _, err := (Verifier{PublicURL: host, AuthToken: token}).Verify(r); !errors.Is(err, ErrMalformed) {
			t.Errorf("Verify(GET) = %v; want ErrMalformed", err)
		}
	})
}

func TestVerify(t *testing.T) {
	const path = "/webhooks/plivo/status?message_id=42"
	full := testPublic + path
	params := url.Values{"MessageUUID": {"u-1"}, "Status": {"delivered"}, "Text": {"héllo & bye; 100% = ok"}}
	body := params.Encode()
	v := Verifier{PublicURL: testPublic, AuthToken: testToken, Nonces: &plivotest.Nonces{}}

	valid := plivotest.SignV3(testToken, full, params, testNonce)
	with := func(h http.Header, kv ...string) http.Header {
		h = h.Clone()
		for i := 0; i < len(kv); i += 2 {
			if kv[i+1] == "" {
				h.Del(kv[i])
			} else {
				h.Set(kv[i], kv[i+1])
			}
		}
		return h
	}
	sig := valid.Get(HeaderSignatureV3)
	v2 := plivotest.SignV2(testToken, full, "999")

	tests := []struct {
		name   string
		v      Verifier
		target string
		body   string
		header http.Header
		want   error // nil: passes
	}{
		{"valid V3", v, full, body, valid, nil},
		{"valid V3, public URL with trailing slash", Verifier{PublicURL: testPublic + "/", AuthToken: testToken}, full, body, valid, nil},
		{"several signatures, one valid", v, full, body, with(valid, HeaderSignatureV3, "AAAA,"+sig+", BBBB"), nil},
		{"several header lines, one valid", v, full, body, func() http.Header {
			h := valid.Clone()
			h[http.CanonicalHeaderKey(HeaderSignatureV3)] = []string{"AAAA", sig}
			return h
		}(), nil},
		{"forged signature", v, full, body, with(valid, HeaderSignatureV3, "k7Pusd4OxCIjR5IfA9iedDNu/h/gbdYqdzG/MiYtd1c="), ErrBadSignature},
		{"empty signature header", v, full, body, with(valid, HeaderSignatureV3, " , "), ErrBadSignature},
		{"no signature at all", v, full, body, with(valid, HeaderSignatureV3, "", HeaderNonceV3, ""), ErrBadSignature},
		{"V3 without nonce", v, full, body, with(valid, HeaderNonceV3, ""), ErrBadSignature},
		{"wrong nonce", v, full, body, with(valid, HeaderNonceV3, "1"+testNonce[1:]+"1"), ErrBadSignature},
		{"wrong token", Verifier{PublicURL: testPublic, AuthToken: "other"}, full, body, valid, ErrBadSignature},
		{"signed for another path", v, testPublic + "/webhooks/plivo/inbound?message_id=42", body, valid, ErrBadSignature},
		{"signed for another host", Verifier{PublicURL: "https://evil.example.com", AuthToken: testToken}, full, body, valid, ErrBadSignature},
		{"signed for another scheme", Verifier{PublicURL: "http://inbox.example.com", AuthToken: testToken}, full, body, valid, ErrBadSignature},
		{"signed for another query", v, testPublic + "/webhooks/plivo/status?message_id=43", body, valid, ErrBadSignature},
		{"query dropped", v, testPublic + "/webhooks/plivo/status", body, valid, ErrBadSignature},
		{"body changed", v, full, strings.Replace(body, "delivered", "failed", 1), valid, ErrBadSignature},
		{"key added", v, full, body + "&Extra=1", valid, ErrBadSignature},
		{"repeated form key", v, full, body + "&Status=failed", valid, ErrMalformed},
		{"repeated key, escaped", v, full, body + "&St%61tus=failed", valid, ErrMalformed},
		{"repeated query key", v, full + "&message_id=7", body, plivotest.SignV3(testToken, full+"&message_id=7", params, testNonce), ErrMalformed},
		{"body key in the query too", v, full, body + "&message_id=7",
			plivotest.SignV3(testToken, full, url.Values{"MessageUUID": {"u-1"}, "Status": {"delivered"}, "Text": params["Text"], "message_id": {"7"}}, testNonce), ErrMalformed},
		{"empty pair", v, full, body + "&", valid, ErrMalformed},
		{"semicolon", v, full, body + ";x=1", valid, ErrMalformed},
		{"bad escape", v, full, body + "&x=%zz", valid, ErrMalformed},
		{"wrong content type", v, full, body, with(valid, "Content-Type", "application/json"), ErrMalformed},
		{"too large", Verifier{PublicURL: testPublic, AuthToken: testToken, MaxBytes: 16}, full, body, valid, ErrTooLarge},
		{"valid V2, no V3", v, full, body, v2, nil},
		{"valid V2, wrong V3 present", v, full, body, with(v2, HeaderSignatureV3, sig+"x", HeaderNonceV3, testNonce), ErrBadSignature},
		{"valid V2, empty V3 present", v, full, body, with(v2, HeaderSignatureV3, " ", HeaderNonceV3, testNonce), ErrBadSignature},
		{"V2 wrong token", v, full, body, plivotest.SignV2("other", full, "999"), ErrBadSignature},
		{"V2 without nonce", v, full, body, with(v2, HeaderNonceV2, ""), ErrBadSignature},
		{"V2 signed for another path", v, full, body, plivotest.SignV2(testToken, testPublic+"/other", "999"), ErrBadSignature},
		{"valid main-account V2", v, full, body, plivotest.SignMaV2(testToken, full, "1001"), nil},
		{"main-account V2, wrong token", v, full, body, plivotest.SignMaV2("other", full, "1002"), ErrBadSignature},
		{"101 keys", v, full, body + strings.Repeat("&k=v", 98), valid, ErrTooLarge},
		{"101 keys with the query", v, full + strings.Repeat("&q=1", 98), body, valid, ErrTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := plivotest.WebhookRequest(tt.target, tt.body, tt.header)
			form, err := tt.v.Verify(r)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Verify = %v; want nil", err)
				}
				wantForm, _ := url.ParseQuery(tt.body)
				if form.Encode() != wantForm.Encode() {
					t.Errorf("Verify form = %v; want %v", form, wantForm)
				}
				rest, _ := io.ReadAll(r.Body)
				if string(rest) != tt.body {
					t.Errorf("body after Verify = %q; want it put back, %q", rest, tt.body)
				}
				return
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("Verify = %v; want %v", err, tt.want)
			}
			if form != nil {
				t.Errorf("Verify returned form %v with an error; want nil", form)
			}
		})
	}
}

// TestVerifyRepeatedNonce: Plivo repeats a delivery with the same nonce, and
// both must pass.
func TestVerifyRepeatedNonce(t *testing.T) {
	full := testPublic + "/webhooks/plivo/inbound"
	params := url.Values{"From": {"14155550100"}, "To": {"14155550111"}, "Text": {"hi"}, "MessageUUID": {"u"}}
	h := plivotest.SignV3(testToken, full, params, testNonce)
	v := Verifier{PublicURL: testPublic, AuthToken: testToken}
	for i := range 2 {
		if _, err := v.Verify(plivotest.WebhookRequest(full, params.Encode(), h)); err != nil {
			t.Fatalf("delivery %d: Verify = %v; want nil", i+1, err)
		}
	}
}

// A V2 signature covers the URL and the nonce, not the form: a nonce that
// comes again with the same request is Plivo's retry, with another form or
// query it is a forgery, refused. The ledger failing is the server's fault.
func TestVerifyV2Nonces(t *testing.T) {
	full := testPublic + "/webhooks/plivo/status?message_id=7"
	params := url.Values{"MessageUUID": {"u-1"}, "Status": {"sent"}}
	nonces := &plivotest.Nonces{}
	v := Verifier{PublicURL: testPublic, AuthToken: testToken, Nonces: nonces}
	h := plivotest.SignV2(testToken, full, "4242")
	verify := func(target string, form url.Values) error {
		_, err := v.Verify(plivotest.WebhookRequest(target, form.Encode(), h))
		return err
	}
	if err := verify(full, params); err != nil {
		t.Fatalf("first delivery: %v; want nil", err)
	}
	if err := verify(full, params); err != nil {
		t.Errorf("Plivo's retry, same nonce and form: %v; want nil", err)
	}
	forged := url.Values{"MessageUUID": {"u-1"}, "Status": {"failed"}}
	if err := verify(full, forged); !errors.Is(err, ErrNonceReplayed) || inbox.ErrorKind(err) != inbox.KindForbidden {
		t.Errorf("the nonce with another form: %v; want ErrNonceReplayed, forbidden", err)
	}
	// V2 does not sign the query: a captured pair replayed against another
	// message is refused all the same.
	if err := verify(testPublic+"/webhooks/plivo/status?message_id=8", params); !errors.Is(err, ErrNonceReplayed) {
		t.Errorf("the nonce with another query: %v; want ErrNonceReplayed", err)
	}
	nonces.Err = errors.New("database down")
	h = plivotest.SignV2(testToken, full, "4343")
	if err := verify(full, params); inbox.ErrorKind(err) != inbox.KindUnavailable {
		t.Errorf("the ledger failing: %v; want unavailable (Plivo retries)", err)
	}
	v.Nonces = nil
	if err := verify(full, params); inbox.ErrorKind(err) != inbox.KindInternal {
		t.Errorf("V2 with no ledger: %v; want a configuration error", err)
	}
}

// A form of thousands of keys is refused before it is parsed or signed.
func TestVerifyTooManyKeysIsCheap(t *testing.T) {
	full := testPublic + "/webhooks/plivo/inbound"
	body := strings.Repeat("k=v&", 9443) + "k=v"
	v := Verifier{PublicURL: testPublic, AuthToken: testToken, MaxBytes: 1 << 20, Nonces: &plivotest.Nonces{}}
	r := plivotest.WebhookRequest(full, body, plivotest.SignV3(testToken, full, url.Values{}, testNonce))
	_, err := v.Verify(r)
	if !errors.Is(err, ErrTooLarge) || inbox.ErrorKind(err) != inbox.KindTooLarge {
		t.Fatalf("9,444 keys: %v; want ErrTooLarge", err)
	}
	if got := counterValue(t, webhookRejections.WithLabelValues("too_many_keys")); got < 1 {
		t.Errorf("too_many_keys rejections = %v; want counted", got)
	}
}

func TestVerifyConfig(t *testing.T) {
	full := testPublic + "/webhooks/plivo/inbound"
	params := url.Values{"Text": {"hi"}}
	tests := []struct {
		name string
		v    Verifier
	}{
		{"no auth token", Verifier{PublicURL: testPublic}},
		{"no public URL", Verifier{AuthToken: testToken}},
		{"relative public URL", Verifier{PublicURL: "/inbox", AuthToken: testToken}},
		{"public URL with query", Verifier{PublicURL: testPublic + "?a=1", AuthToken: testToken}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Signed with an empty token, which an empty AuthToken must not accept.
			r := plivotest.WebhookRequest(full, params.Encode(), plivotest.SignV3(tt.v.AuthToken, full, params, testNonce))
			_, err := tt.v.Verify(r)
			if err == nil || errors.Is(err, ErrBadSignature) || errors.Is(err, ErrMalformed) {
				t.Errorf("Verify = %v; want a configuration error", err)
			}
		})
	}
}

func TestVerifyCountsFailures(t *testing.T) {
	before := counterValue(t, webhookRejections.WithLabelValues("missing_signature"))
	r := plivotest.WebhookRequest(testPublic+"/x", "a=1", http.Header{"Content-Type": {"application/x-www-form-urlencoded"}})
	if _, err := (Verifier{PublicURL: testPublic, AuthToken: testToken}).Verify(r); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("Verify(unsigned) = %v; want ErrBadSignature", err)
	}
	if got := counterValue(t, webhookRejections.WithLabelValues("missing_signature")); got != before+1 {
		t.Errorf("missing_signature failures = %v; want %v", got, before+1)
	}
}

func FuzzVerify(f *testing.F) {
	f.Add("From=14155550100&To=14155550111&Text=hi", "message_id=1", testNonce)
	f.Add("a=1&a=2", "", "1")
	f.Add("a=1&A=2&%61=3", "b=2", "x")
	f.Add("a", "a", "")
	f.Add("=&&;", "%zz", "n")
	f.Add("Text=%E2%82%AC+%F0%9F%91%8D", "q=%20", "0")
	f.Add(goldenParams.Encode(), "a=b&c=d", "31627761595286130198")
	f.Fuzz(func(t *testing.T, body, rawQuery, nonce string) {
		v := Verifier{PublicURL: testPublic, AuthToken: testToken}
		u := &url.URL{Path: "/webhooks/plivo/inbound", RawQuery: rawQuery}
		lenient, lerr := url.ParseQuery(body)
		header := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}
		// plivo-go panics on a URL it cannot parse; such a request goes unsigned.
		if full := testPublic + u.RequestURI(); isParseable(full) {
			header = plivotest.SignV3(testToken, full, lenient, nonce)
		}
		r := &http.Request{Method: http.MethodPost, URL: u, Header: header, Body: io.NopCloser(strings.NewReader(body))}

		form, err := v.Verify(r)
		if lerr == nil {
			for k, vs := range lenient {
				if len(vs) > 1 && err == nil {
					t.Fatalf("Verify(body %q) accepted key %q given %d times", body, k, len(vs))
				}
			}
		}
		if err != nil {
			return
		}
		if lerr != nil {
			t.Fatalf("Verify accepted body %q that url.ParseQuery refuses: %v", body, lerr)
		}
		if form.Encode() != lenient.Encode() {
			t.Fatalf("Verify(body %q) form = %v; want %v", body, form, lenient)
		}
		if nonce == "" {
			t.Fatalf("Verify accepted an empty nonce")
		}
	})
}

// FuzzSignedRoundTrip: any form signed with plivo-go for the URL Plivo calls
// passes Verify and comes back unchanged.
func FuzzSignedRoundTrip(f *testing.F) {
	f.Add("Text", "hello", "MessageUUID", "u-1", testNonce)
	f.Add("a b", "c&d=e", "€", "👍;%", "0")
	f.Add("SIP-H-To", "<sip:x@y;transport=udp>;tag=1", "k", "", "n")
	f.Fuzz(func(t *testing.T, k1, v1, k2, v2, nonce string) {
		if k1 == "" || k2 == "" || k1 == k2 || k1 == "message_id" || k2 == "message_id" || nonce == "" {
			return
		}
		params := url.Values{k1: {v1}, k2: {v2}}
		full := testPublic + "/webhooks/plivo/status?message_id=7"
		r := plivotest.WebhookRequest(full, params.Encode(), plivotest.SignV3(testToken, full, params, nonce))
		form, err := Verifier{PublicURL: testPublic, AuthToken: testToken}.Verify(r)
		if err != nil {
			t.Fatalf("Verify(%v signed by plivo-go) = %v; want nil", params, err)
		}
		if form.Encode() != params.Encode() {
			t.Fatalf("Verify form = %v; want %v", form, params)
		}
	})
}

func isParseable(rawURL string) bool {
	_, err := url.Parse(rawURL)
	return err == nil
}
