package plivotest

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"

	plivogo "github.com/plivo/plivo-go/v7"
)

// SignV3 returns the headers Plivo would send with a POST of params to
// fullURL: X-Plivo-Signature-V3 computed by plivo-go's ComputeSignatureV3
// with authToken and nonce, X-Plivo-Signature-V3-Nonce, and the form
// Content-Type. A key with several values is signed with its first, as
// plivo-go reads a query, which lets a test forge a duplicated key. Like
// plivo-go, it panics if fullURL does not parse.
func SignV3(authToken, fullURL string, params url.Values, nonce string) http.Header {
	flat := make(map[string]string, len(params))
	for k, vs := range params {
		if len(vs) > 0 {
			flat[k] = vs[0]
		}
	}
	h := formHeader()
	h.Set("X-Plivo-Signature-V3", plivogo.ComputeSignatureV3(authToken, fullURL, http.MethodPost, nonce, flat))
	h.Set("X-Plivo-Signature-V3-Nonce", nonce)
	return h
}

// SignV2 returns the headers of Plivo's older V2 scheme for a POST to
// fullURL: X-Plivo-Signature-V2 computed by plivo-go's ComputeSignatureV2
// (it signs the URL without its query, and the nonce, not the form), its
// nonce header, and the form Content-Type. Like plivo-go, it panics if
// fullURL does not parse.
func SignV2(authToken, fullURL, nonce string) http.Header {
	h := formHeader()
	h.Set("X-Plivo-Signature-V2", plivogo.ComputeSignatureV2(authToken, fullURL, nonce))
	h.Set("X-Plivo-Signature-V2-Nonce", nonce)
	return h
}

// WebhookRequest returns an incoming server request, as a handler would get
// it, that POSTs body (an encoded form) to fullURL with header.
func WebhookRequest(fullURL, body string, header http.Header) *http.Request {
	r := httptest.NewRequest(http.MethodPost, fullURL, strings.NewReader(body))
	for k, vs := range header {
		r.Header[k] = append([]string(nil), vs...)
	}
	return r
}

func formHeader() http.Header {
	h := http.Header{}
	h.Set("Content-Type", "application/x-www-form-urlencoded")
	return h
}

// SignMaV2 is SignV2 with the main account's header,
// X-Plivo-Signature-Ma-V2, in place of X-Plivo-Signature-V2.
func SignMaV2(authToken, fullURL, nonce string) http.Header {
	h := formHeader()
	h.Set("X-Plivo-Signature-Ma-V2", plivogo.ComputeSignatureV2(authToken, fullURL, nonce))
	h.Set("X-Plivo-Signature-V2-Nonce", nonce)
	return h
}
