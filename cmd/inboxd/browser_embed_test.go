package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/golang-jwt/jwt/v5"

	"smsinbox/pkg/clock"
)

// hostPage serves, on a port of its own (another origin of the same
// site), an ATS page that frames the inbox at src.
func hostPage(t *testing.T, src func() string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><title>ATS</title><h1>The ATS</h1>
<iframe id="inbox" src="%s" width="1100" height="700" title="SMS inbox"></iframe>`, src())
	}))
	t.Cleanup(srv.Close)
	return srv
}

// childFrame is the URL the tab's iframe shows (an error page's URL when
// the frame was refused) and the URL it was refused, if it was.
func childFrame(t *testing.T, tb *tab) (shown, unreachable string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, wait)
	defer cancel()
	res, err := chromedp.Call(ctx, page.GetFrameTree, cdp.Empty{})
	if err != nil {
		t.Fatalf("%s: frame tree: %v", tb.name, err)
	}
	tree := res.FrameTree
	if len(tree.ChildFrames) != 1 {
		t.Fatalf("%s: %d child frames; want 1", tb.name, len(tree.ChildFrames))
	}
	f := tree.ChildFrames[0].Frame
	return f.URL + f.URLFragment, f.UnreachableURL
}

// frameAttr reads an attribute of an element inside the tab's iframe.
func frameAttr(t *testing.T, tb *tab, sel, attr string) (string, bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, 2*time.Second)
	defer cancel()
	frames, err := chromedp.Run(ctx, chromedp.Nodes(chromedp.CSS("iframe#inbox")))
	if err != nil || len(frames) != 1 {
		return "", false
	}
	res, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS(sel), attr, chromedp.FromNode(frames[0])))
	if err != nil {
		return "", false
	}
	v, ok := res.Value, res.Exists
	return v, ok
}

// The inbox embedded in an ATS page of another origin listed in
// INBOX_FRAME_ANCESTORS: the ATS signs Ana in through /sso inside the
// frame, the embed view shows no navigation of its own, and her bell rises
// live when a candidate texts. A page of an origin not listed cannot frame
// it.
func TestBrowserEmbeddedInbox(t *testing.T) {
	browser(t)
	// The ATS's page listens before the server starts: its origin is in
	// the server's configuration.
	var src string
	host := hostPage(t, func() string { return src })
	stranger := hostPage(t, func() string { return src })
	srv := startServer(t, map[string]string{"INBOX_DEMO": "1", "INBOX_FRAME_ANCESTORS": host.URL})
	admin := srv.login(t, "admin@demo.test", demoPassword)
	admin.call("PUT", "/api/company", map[string]any{"sso_issuer": "https://ats.example.com", "sso_secret": ssoSecret}, 200, nil)
	mint := func() string {
		tok := ssoToken(t, jwt.SigningMethodHS256, []byte(ssoSecret), "", baseClaims("ats-ana", "ana@demo.test"))
		return srv.URL + "/sso?" + url.Values{"token": {tok}, "return_to": {"/?embed=1"}}.Encode()
	}
	if h, _, _ := net.SplitHostPort(strings.TrimPrefix(host.URL, "http://")); h != "127.0.0.1" {
		t.Fatalf("host page at %s; want 127.0.0.1, the inbox's site", host.URL)
	}

	sc := newScene(t, srv)
	sc.watch(t)
	ats := sc.open(t, "ats")
	src = mint()
	ats.do(t, "open the ATS page", chromedp.Navigate(host.URL+"/"))
	var unread int
	eventually(t, wait, "the framed inbox shows Ana's bell, live", func() bool {
		if live, _ := frameAttr(t, ats, tid("live-status"), "data-state"); live != "open" {
			return false
		}
		v, ok := frameAttr(t, ats, tid("bell"), "data-unread")
		if !ok {
			return false
		}
		unread, _ = strconv.Atoi(v)
		return true
	})
	shown, _ := childFrame(t, ats)
	if !strings.HasPrefix(shown, srv.URL+"/") || !strings.Contains(shown, "embed=1") {
		t.Fatalf("the frame shows %q; want the inbox's embed view", shown)
	}
	// No navigation of our own in the embed view.
	if _, ok := frameAttr(t, ats, `html[data-embed="1"]`, "data-embed"); !ok {
		t.Error("the framed page is not in embed mode")
	}
	// A candidate texts Recruiting: the bell in the frame rises, live.
	srv.client(t).call("POST", "/api/dev/phone", map[string]string{"from": "+14155550199", "to": recruitingNumber, "text": "Hi from the embed test"}, 202, nil)
	eventually(t, wait, "the framed bell rises", func() bool {
		v, _ := frameAttr(t, ats, tid("bell"), "data-unread")
		return v == strconv.Itoa(unread+1)
	})
	ats.readmeScreenshot(t, "embedded.png")

	// An origin not in INBOX_FRAME_ANCESTORS is refused the frame.
	other := sc.open(t, "stranger")
	src = mint()
	other.do(t, "open the stranger's page", chromedp.Navigate(stranger.URL+"/"))
	eventually(t, wait, "the stranger's frame is refused", func() bool {
		shown, unreachable := childFrame(t, other)
		return strings.HasPrefix(shown, "chrome-error:") || unreachable != ""
	})
	if _, ok := frameAttr(t, other, tid("bell"), "data-unread"); ok {
		t.Error("the stranger's frame shows the inbox")
	}
}

// An admin's Webhooks page shows an endpoint going from delivering to
// failing to disabled after 72 hours of failures, live, with its last
// error; Resume delivers the backlog. An endpoint added on the page shows
// its secret once.
func TestBrowserWebhooksPage(t *testing.T) {
	browser(t)
	clk := clock.NewFake(time.Now())
	srv := startServer(t, map[string]string{"INBOX_DEMO": "1", "INBOX_SESSION_IDLE": "336h"}, withClock(clk))
	r := newReceiver(t)
	var failing atomic.Bool
	failing.Store(true)
	r.answer = func(int) int {
		if failing.Load() {
			return http.StatusBadGateway
		}
		return http.StatusOK
	}
	api := srv.login(t, "admin@demo.test", demoPassword)
	hook := r.register(t, api, "*")

	sc := newScene(t, srv)
	sc.watch(t)
	admin := sc.login(t, "admin", "admin@demo.test")
	admin.visit(t, "/admin/tokens")
	admin.click(t, tid("open-webhooks"))
	admin.waitEq(t, "the Webhooks page", `location.pathname`, "/admin/webhooks")
	row := `[data-webhook-id="` + itoa(hook.ID) + `"] `
	admin.waitAttr(t, row+tid("webhook-state"), "data-state", "ok")

	srv.client(t).call("POST", "/api/dev/phone", map[string]string{"from": "+14155550199", "to": recruitingNumber, "text": "Hello?"}, 202, nil)
	r.failUntilDisabled(t, clk, api, hook.ID)
	// The page was open all along: the webhook.disabled event refreshed it.
	admin.waitAttr(t, row+tid("webhook-state"), "data-state", "disabled")
	admin.waitContains(t, row+tid("webhook-error"), "502")
	admin.readmeScreenshot(t, "webhooks.png")

	failing.Store(false)
	admin.click(t, row+tid("webhook-resume"))
	admin.waitAttr(t, row+tid("webhook-state"), "data-state", "ok")
	eventually(t, wait, "the backlog is delivered", func() bool { return len(r.acknowledged()) > 0 })

	// A new endpoint, from the page: its secret shows once.
	admin.fill(t, tid("webhook-url"), r.srv.URL+"/second")
	admin.click(t, tid("webhook-create"))
	admin.waitVisible(t, tid("webhook-shown"))
	if s := admin.eval(t, `document.querySelector('[data-testid="webhook-secret"]').value`); !strings.HasPrefix(s, "whsec_") {
		t.Errorf("the new endpoint's secret shows %q; want whsec_…", s)
	}
	admin.waitCount(t, tid("webhook-row"), 2)
}
