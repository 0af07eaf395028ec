package main

import (
	"net"
	"net/http"
	"sync/atomic"
	"time"
)

// sourceAddrs are the local addresses the websockets are spread over, so
// that the client is not limited to one address's ephemeral ports
// (every 127.0.0.0/8 address is local on Linux).
var sourceAddrs = []string{"127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5", "127.0.0.6", "127.0.0.7", "127.0.0.8", "127.0.0.9"}

// dialers hands out, in turn, an HTTP client per source address for
// websocket.Dial (DialOptions.HTTPClient): each one's transport dials from
// its address with net.Dialer.LocalAddr.
type dialers struct {
	clients []*http.Client
	next    atomic.Uint64
}

func newDialers() *dialers {
	d := &dialers{}
	for _, a := range sourceAddrs {
		nd := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(a)}, Timeout: 30 * time.Second}
		tr := &http.Transport{
			DialContext:         nd.DialContext,
			MaxIdleConnsPerHost: -1, // an upgraded connection is never reused
			ForceAttemptHTTP2:   false,
		}
		d.clients = append(d.clients, &http.Client{Transport: tr})
	}
	return d
}

// client returns the next source address's HTTP client.
func (d *dialers) client() *http.Client {
	return d.clients[d.next.Add(1)%uint64(len(d.clients))]
}
