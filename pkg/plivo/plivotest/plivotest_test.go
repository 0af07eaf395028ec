package plivotest

import (
	"bytes"
	"net/http"
	"net/url"
	"testing"
)

// TestSignV3Golden: SignV3 reproduces a vector published in plivo-go's
// utils_test.go.
func TestSignV3Golden(t *testing.T) {
	params := url.Values{
		"Direction": {"outbound"}, "From": {"19792014278"}, "ALegUUID": {"3e82ae9d-2c78-4d85-b1a4-6eae7dbafb36"},
		"CallStatus": {"in-progress"}, "BillRate": {"0.002"}, "ParentAuthID": {"MANWVLYTK4ZWU1YTY4QA"},
		"To":              {"sip:PlivoSignature382029104058171078704104@phone-qa.voice.plivodev.com"},
		"ALegRequestUUID": {"3e82ae9d-2c78-4d85-b1a4-6eae7dbafb36"}, "CallUUID": {"3e82ae9d-2c78-4d85-b1a4-6eae7dbafb36"},
		"RequestUUID":  {"3e82ae9d-2c78-4d85-b1a4-6eae7dbafb36"},
		"SIP-H-To":     {"<sip:PlivoSignature382029104058171078704104@52.9.11.55;transport=udp>;tag=1"},
		"SessionStart": {"2020-04-08 11:34:33.238707"}, "Event": {"StartApp"},
	}
	h := SignV3("Y2Q2ZDgxZmY5YWRiOTI5YmQ1Njg0MTAxZWIyOTc4",
		"https://plivobin.non-prod.plivops.com/api/v1/validate_signature03.xml/?a=b&c=d", params, "31627761595286130198")
	if got, want := h.Get("X-Plivo-Signature-V3"), "k7Pusd4OxCIjR5IfA9iedDNu/h/gbdYqdzG/MiYtd1c="; got != want {
		t.Errorf("SignV3 = %q; want %q", got, want)
	}
	if got := h.Get("X-Plivo-Signature-V3-Nonce"); got != "31627761595286130198" {
		t.Errorf("nonce header = %q; want the nonce", got)
	}
	if got := SignV2("my_auth_token", "https://answer.url", "12345").Get("X-Plivo-Signature-V2"); got != "ehV3IKhLysWBxC1sy8INm0qGoQYdYsHwuoKjsX7FsXc=" {
		t.Errorf("SignV2 = %q; want plivo-go's published vector", got)
	}
}

func TestServerRefusesStrangers(t *testing.T) {
	s := NewServer(t, "MAID", "token")
	post := func(path, id, token string) int {
		t.Helper()
		req, err := http.NewRequest(http.MethodPost, s.URL+path, bytes.NewReader([]byte(`{"src":"1","dst":"2","text":"x"}`)))
		if err != nil {
			t.Fatal(err)
		}
		req.SetBasicAuth(id, token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	tests := []struct {
		path, id, token string
		want            int
	}{
		{"/v1/Account/MAID/Message/", "MAID", "token", http.StatusAccepted},
		{"/v1/Account/MAID/Message/", "MAID", "wrong", http.StatusUnauthorized},
		{"/v1/Account/OTHER/Message/", "MAID", "token", http.StatusUnauthorized},
		{"/v1/Account/MAID/Call/", "MAID", "token", http.StatusNotFound},
	}
	for _, tt := range tests {
		if got := post(tt.path, tt.id, tt.token); got != tt.want {
			t.Errorf("POST %s as %s:%s = %d; want %d", tt.path, tt.id, tt.token, got, tt.want)
		}
	}
	if n := len(s.Creates()); n != 1 {
		t.Errorf("%d creates; want 1", n)
	}
}
