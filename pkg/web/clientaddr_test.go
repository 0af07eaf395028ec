package web

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
)

func TestClientAddr(t *testing.T) {
	trusted, err := ParseTrustedProxies(" 10.0.0.0/8, 2001:db8:ffff::/48 ,192.0.2.200")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name   string
		peer   string
		xff    []string
		want   string
		tr     []netip.Prefix
		noneOK bool
	}{
		{name: "no proxies: the peer", peer: "203.0.113.5:4000", xff: []string{"198.51.100.1"}, want: "203.0.113.5"},
		{name: "untrusted peer: its header is ignored", peer: "203.0.113.5:4000", xff: []string{"198.51.100.1"}, want: "203.0.113.5", tr: trusted},
		{name: "trusted peer, no header", peer: "10.0.0.1:4000", want: "10.0.0.1", tr: trusted},
		{name: "one proxy", peer: "10.0.0.1:4000", xff: []string{"198.51.100.1"}, want: "198.51.100.1", tr: trusted},
		{name: "a client's made-up entry is skipped", peer: "10.0.0.1:4000", xff: []string{"1.2.3.4, 198.51.100.1"}, want: "198.51.100.1", tr: trusted},
		{name: "two proxies", peer: "10.0.0.1:4000", xff: []string{"1.2.3.4, 198.51.100.1, 10.9.9.9"}, want: "198.51.100.1", tr: trusted},
		{name: "several header lines, in order", peer: "10.0.0.1:4000", xff: []string{"1.2.3.4", "198.51.100.1", "10.9.9.9"}, want: "198.51.100.1", tr: trusted},
		{name: "a single trusted address", peer: "192.0.2.200:80", xff: []string{"198.51.100.7"}, want: "198.51.100.7", tr: trusted},
		{name: "every entry trusted: the leftmost", peer: "10.0.0.1:4000", xff: []string{"10.0.0.7, 10.0.0.8"}, want: "10.0.0.7", tr: trusted},
		{name: "garbage stops at the trusted hop", peer: "10.0.0.1:4000", xff: []string{"198.51.100.1, not-an-ip"}, want: "10.0.0.1", tr: trusted},
		{name: "garbage behind two trusted hops", peer: "10.0.0.1:4000", xff: []string{"evil, 10.0.0.9"}, want: "10.0.0.9", tr: trusted},
		{name: "an entry with a port", peer: "10.0.0.1:4000", xff: []string{"198.51.100.1:5555"}, want: "198.51.100.1", tr: trusted},
		{name: "IPv6 entries", peer: "[2001:db8:ffff::1]:443", xff: []string{"2001:db8:1::5, [2001:db8:ffff::2]:80"}, want: "2001:db8:1::5", tr: trusted},
		{name: "IPv4 in IPv6", peer: "[::ffff:10.0.0.1]:443", xff: []string{"::ffff:198.51.100.1"}, want: "198.51.100.1", tr: trusted},
		{name: "empty entries", peer: "10.0.0.1:4000", xff: []string{" , "}, want: "10.0.0.1", tr: trusted},
		{name: "no usable peer", peer: "pipe", want: "invalid IP", tr: trusted},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = tt.peer
		for _, v := range tt.xff {
			r.Header.Add("X-Forwarded-For", v)
		}
		if got := clientAddr(r, tt.tr).String(); got != tt.want {
			t.Errorf("%s: got %s, want %s", tt.name, got, tt.want)
		}
	}
	for _, bad := range []string{"10.0.0.0/33", "nope", "10.0.0.0/8,x"} {
		if _, err := ParseTrustedProxies(bad); err == nil {
			t.Errorf("ParseTrustedProxies(%q): got no error", bad)
		}
	}
}

func TestAddressKey(t *testing.T) {
	for in, want := range map[string]string{
		"192.0.2.1":            "192.0.2.1",
		"2001:db8:1:2:3:4:5:6": "2001:db8:1:2::/64",
		"2001:db8:1:2::9":      "2001:db8:1:2::/64",
	} {
		if got := addressKey(netip.MustParseAddr(in)); got != want {
			t.Errorf("addressKey(%s) = %s, want %s", in, got, want)
		}
	}
	if got := addressKey(netip.Addr{}); got != "unknown" {
		t.Errorf("addressKey(invalid) = %s, want unknown", got)
	}
}

// Whatever the header says, the client is the peer or one of the header's
// entries, the peer when it is not trusted, and never a trusted proxy while
// an untrusted entry lies to its right.
func FuzzClientAddr(f *testing.F) {
	f.Add("10.0.0.1:80", "198.51.100.1, 10.0.0.2")
	f.Add("203.0.113.9:80", "1.1.1.1")
	f.Add("[2001:db8::1]:80", "[2001:db8::2]:1, garbage,")
	f.Add("10.0.0.1:80", ",,,")
	trusted, _ := ParseTrustedProxies("10.0.0.0/8,2001:db8::/32")
	f.Fuzz(func(t *testing.T, peer, xff string) {
		r := &http.Request{RemoteAddr: peer, Header: http.Header{"X-Forwarded-For": {xff}}}
		got := clientAddr(r, trusted)
		p := parseHop(peer)
		if !p.IsValid() || !isTrusted(p, trusted) {
			if got != p {
				t.Fatalf("untrusted peer %q: got %v, want the peer", peer, got)
			}
			return
		}
		if got == p {
			return
		}
		found := false
		for _, e := range strings.Split(xff, ",") {
			if parseHop(strings.TrimSpace(e)) == got {
				found = true
			}
		}
		if !found || !got.IsValid() {
			t.Fatalf("peer %q, header %q: got %v, which is neither the peer nor an entry", peer, xff, got)
		}
	})
}
