package storetest

import (
	"errors"
	"io"
	"net"
	"net/url"
	"sync"
	"testing"
)

// Proxy is a TCP proxy a test puts between its store and the PostgreSQL
// server, to stage an outage without disturbing the other tests that share
// the server: Cut closes every connection through it and refuses new ones
// (nothing listens: a dial is refused, as with a stopped server), Restore
// listens again on the same address.
type Proxy struct {
	// Addr is where the proxy listens: host:port.
	Addr   string
	target string

	mu    sync.Mutex
	ln    net.Listener // nil while cut
	conns map[net.Conn]struct{}
	wg    sync.WaitGroup
}

// NewProxy starts a proxy to target (host:port), stopped when the test ends.
func NewProxy(t testing.TB, target string) *Proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("proxy: %v", err)
	}
	p := &Proxy{Addr: ln.Addr().String(), target: target, conns: map[net.Conn]struct{}{}}
	p.serve(ln)
	t.Cleanup(func() {
		p.Cut()
		p.wg.Wait()
	})
	return p
}

// PostgresBehindProxy is PostgresURL with its connections going through a
// new Proxy, which it returns to cut and restore.
func PostgresBehindProxy(t testing.TB) (string, *Proxy) {
	t.Helper()
	raw := PostgresURL(t)
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatalf("parse the PostgreSQL URL: %v", err)
	}
	p := NewProxy(t, u.Host)
	u.Host = p.Addr
	return u.String(), p
}

func (p *Proxy) serve(ln net.Listener) {
	p.mu.Lock()
	p.ln = ln
	p.mu.Unlock()
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return // cut
			}
			p.pipe(c)
		}
	}()
}

// pipe joins an accepted connection to a new one to the target.
func (p *Proxy) pipe(client net.Conn) {
	server, err := net.Dial("tcp", p.target)
	if err != nil {
		client.Close()
		return
	}
	p.mu.Lock()
	if p.ln == nil { // cut meanwhile
		p.mu.Unlock()
		client.Close()
		server.Close()
		return
	}
	p.conns[client], p.conns[server] = struct{}{}, struct{}{}
	p.mu.Unlock()
	copyOne := func(dst, src net.Conn) {
		defer p.wg.Done()
		io.Copy(dst, src) //nolint:errcheck // either side closing ends the pair
		dst.Close()
		src.Close()
		p.mu.Lock()
		delete(p.conns, dst)
		delete(p.conns, src)
		p.mu.Unlock()
	}
	p.wg.Add(2)
	go copyOne(server, client)
	go copyOne(client, server)
}

// Cut stops listening and closes every connection through the proxy.
func (p *Proxy) Cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for c := range p.conns {
		c.Close()
	}
}

// Restore listens on Addr again after Cut.
func (p *Proxy) Restore() error {
	p.mu.Lock()
	cut := p.ln == nil
	p.mu.Unlock()
	if !cut {
		return errors.New("proxy: not cut")
	}
	ln, err := net.Listen("tcp", p.Addr)
	if err != nil {
		return err
	}
	p.serve(ln)
	return nil
}
