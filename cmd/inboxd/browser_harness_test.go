package main

// The browser harness: one headless Chromium per test binary, driven by
// chromedp, with one tab per person, each in its own browser context (its
// own cookies), on the real inboxd of startServer. Every tab records its
// console errors and uncaught exceptions; a test that watches its tabs fails
// on any of them, and saves a screenshot of every open tab when it fails.

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// wait is how long one wait for the page may take: generous, because a
// loaded 2-core machine running -race is slow, and a wait that holds ends
// at once anyway.
const wait = 15 * time.Second

// The desktop size of every tab unless a test asks for another; the README
// screenshots are taken at this size.
const desktopWidth, desktopHeight = 1280, 800

func TestMain(m *testing.M) {
	code := m.Run()
	chrome.stop()
	os.Exit(code)
}

// chrome is the package's one browser, started by the first test that
// needs it and stopped by TestMain.
var chrome headless

type headless struct {
	mu      sync.Mutex
	started bool
	ctx     context.Context // the browser's first tab: the parent of every tab
	cancel  []context.CancelFunc
	dir     string // its profile directory
	err     error
}

// chromiumPath is the browser binary: $CHROMIUM_PATH (scripts/chromium.sh
// sets it in make test), else Debian's /usr/bin/chromium.
func chromiumPath() (string, error) {
	if p := os.Getenv("CHROMIUM_PATH"); p != "" {
		path, err := exec.LookPath(p)
		if err != nil {
			return "", fmt.Errorf("CHROMIUM_PATH=%s is not an executable: %v", p, err)
		}
		return path, nil
	}
	const debian = "/usr/bin/chromium"
	if _, err := exec.LookPath(debian); err != nil {
		return "", fmt.Errorf("no browser: CHROMIUM_PATH is not set and %s is missing (scripts/chromium.sh installs Debian's chromium package)", debian)
	}
	return debian, nil
}

// browser returns the context of the package's browser, starting it on
// first use. Without a browser the test skips, saying why; under CI=true it
// fails instead, since CI must run every test.
func browser(t *testing.T) context.Context {
	t.Helper()
	endToEnd(t) // before starting a browser for nothing
	chrome.mu.Lock()
	defer chrome.mu.Unlock()
	if !chrome.started {
		chrome.started = true
		chrome.err = startChrome()
	}
	if chrome.err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("the browser tests need Chromium under CI=true: %v", chrome.err)
		}
		t.Skipf("skipping the browser test: %v", chrome.err)
	}
	return chrome.ctx
}

func startChrome() error {
	path, err := chromiumPath()
	if err != nil {
		return err
	}
	if chrome.dir, err = os.MkdirTemp("", "smsinbox-chromium-"); err != nil {
		return err
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(path), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-dev-shm-usage", true),
		// Tabs of other browser contexts are in windows of their own; none
		// may be throttled as a background page while another is driven.
		chromedp.Flag("disable-background-timer-throttling", true),
		chromedp.Flag("disable-renderer-backgrounding", true),
		chromedp.Flag("disable-backgrounding-occluded-windows", true),
		chromedp.UserDataDir(chrome.dir), chromedp.WindowSize(desktopWidth, desktopHeight))
	// The browser lives as long as the context of its first Do: no timeout.
	ctx, cancelCtx := chromedp.NewContext(actx)
	chrome.cancel = []context.CancelFunc{cancelCtx, cancelAlloc}
	if err := chromedp.Do(ctx); err != nil {
		chrome.stop()
		return fmt.Errorf("start %s: %w", path, err)
	}
	chrome.ctx = ctx
	return nil
}

// stop closes the browser (cancelling the allocator waits for its process)
// and removes its profile.
func (c *headless) stop() {
	for _, cancel := range c.cancel {
		cancel()
	}
	c.cancel = nil
	if c.dir != "" {
		os.RemoveAll(c.dir)
	}
}

// scene is the people of one browser test: their tabs, on one server.
type scene struct {
	srv     *testServer
	mu      sync.Mutex
	tabs    []*tab              // open, in the order they opened
	watched map[*testing.T]bool // tests whose end checks the tabs
}

// newScene starts the browser if needed and watches t.
func newScene(t *testing.T, srv *testServer) *scene {
	t.Helper()
	browser(t)
	s := &scene{srv: srv, watched: map[*testing.T]bool{}}
	s.watch(t)
	return s
}

// watch makes t (the scene's test or one of its subtests) fail on any
// console error or uncaught exception in any open tab while it ran; when t
// failed, it saves a screenshot of every open tab in test-artifacts/; then
// it closes the tabs t opened. Every tab is checked before any is
// photographed, so that an error found in the last tab still gets the
// first one photographed.
func (s *scene) watch(t *testing.T) {
	t.Helper()
	s.mu.Lock()
	s.watched[t] = true
	s.mu.Unlock()
	t.Cleanup(func() {
		s.mu.Lock()
		tabs := append([]*tab(nil), s.tabs...)
		s.mu.Unlock()
		for _, tb := range tabs {
			for _, e := range tb.takeErrors() {
				t.Errorf("%s: %s", tb.name, e)
			}
		}
		if t.Failed() {
			for _, tb := range tabs {
				tb.saveScreenshot(t, artifactsDir(t), safeName(t.Name())+"-"+tb.name+".png")
			}
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		delete(s.watched, t)
		open := s.tabs[:0]
		for _, tb := range s.tabs {
			if tb.owner == t {
				tb.close()
			} else {
				open = append(open, tb)
			}
		}
		s.tabs = open
	})
}

// tab is one person's browser tab, in a browser context of its own.
type tab struct {
	name  string
	base  string
	ctx   context.Context
	close context.CancelFunc // closes the tab and its browser context
	owner *testing.T         // the test that opened it, and whose end closes it

	mu     sync.Mutex
	errors []string // console errors and uncaught exceptions not yet reported
}

// open opens a tab at the desktop size. It closes when the test that
// opened it ends; that test must be watched by the scene.
func (s *scene) open(t *testing.T, name string) *tab {
	t.Helper()
	s.mu.Lock()
	watched := s.watched[t]
	s.mu.Unlock()
	if !watched {
		t.Fatalf("%s: open tabs in a test the scene watches (call watch first)", name)
	}
	tb := &tab{name: name, base: s.srv.URL, owner: t}
	// The listener runs in the tab's read loop, in order: a round trip to
	// the tab (see takeErrors) guarantees it saw every earlier event.
	tb.ctx, tb.close = chromedp.NewContext(browser(t), chromedp.WithNewBrowserContext(), chromedp.WithListener(tb.listen))
	// The tab lives as long as the context of its first Do: no timeout here.
	if err := chromedp.Do(tb.ctx, chromedp.EmulateViewport(desktopWidth, desktopHeight)); err != nil {
		tb.close()
		t.Fatalf("%s: open a tab: %v", name, err)
	}
	s.mu.Lock()
	s.tabs = append(s.tabs, tb)
	s.mu.Unlock()
	return tb
}

// login opens a tab and signs in as email with the demo password, through
// the sign-in page; it returns once the Candidate Pool has loaded and the
// tab's websocket said hello.
func (s *scene) login(t *testing.T, name, email string) *tab {
	t.Helper()
	return s.loginWith(t, name, email, demoPassword)
}

// loginWith is login with another password.
func (s *scene) loginWith(t *testing.T, name, email, password string) *tab {
	t.Helper()
	tb := s.open(t, name)
	tb.do(t, "open the sign-in page", chromedp.Navigate(tb.base+"/login"))
	tb.waitPresent(t, tid("login-email"))
	tb.do(t, "sign in as "+email,
		chromedp.SendKeys(chromedp.CSS(tid("login-email")), email),
		chromedp.SendKeys(chromedp.CSS(tid("login-password")), password),
		chromedp.Click(chromedp.CSS(tid("login-submit"))))
	tb.waitEq(t, "the page after signing in", `location.pathname + ' ' + document.querySelector('main').dataset.page`, "/ candidates")
	tb.waitLoaded(t)
	return tb
}

func (tb *tab) listen(ev any) {
	var msg string
	switch ev := ev.(type) {
	case *runtime.EventConsoleAPICalled:
		if ev.Type != runtime.ConsoleAPICalledTypeError && ev.Type != runtime.ConsoleAPICalledTypeAssert {
			return
		}
		var args []string
		for _, a := range ev.Args {
			if a.Description != "" {
				args = append(args, a.Description)
			} else {
				args = append(args, string(a.Value))
			}
		}
		msg = "console." + string(ev.Type) + ": " + strings.Join(args, " ")
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		msg = "uncaught exception: " + d.Text
		if d.Exception != nil {
			msg += " " + d.Exception.Description
		}
		if d.URL != "" {
			msg += fmt.Sprintf(" (%s:%d)", d.URL, d.LineNumber+1)
		}
	default:
		return
	}
	tb.mu.Lock()
	tb.errors = append(tb.errors, msg)
	tb.mu.Unlock()
}

// takeErrors returns the errors the tab logged since the last call.
func (tb *tab) takeErrors() []string {
	// A round trip first, so that the listener has seen every event the
	// tab sent before it; a closed tab has nothing more to tell.
	ctx, cancel := context.WithTimeout(tb.ctx, wait)
	chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](`0`))
	cancel()
	tb.mu.Lock()
	defer tb.mu.Unlock()
	errs := tb.errors
	tb.errors = nil
	return errs
}

// saveScreenshot writes what the tab shows to dir/name.
func (tb *tab) saveScreenshot(t *testing.T, dir, name string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, wait)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Logf("%s: no screenshot: %v", tb.name, err)
		return
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Errorf("screenshot folder: %v", err)
		return
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Errorf("screenshot: %v", err)
		return
	}
	t.Logf("%s: screenshot in %s", tb.name, path)
}

// readmeScreenshot saves the tab as name in $SCREENSHOTS_DIR (a path
// relative to the repository's root), when that is set: the README's
// pictures come from the same run as the tests.
func (tb *tab) readmeScreenshot(t *testing.T, name string) {
	t.Helper()
	dir := os.Getenv("SCREENSHOTS_DIR")
	if dir == "" {
		return
	}
	if !filepath.IsAbs(dir) {
		dir = filepath.Join(repoRoot(t), dir)
	}
	tb.saveScreenshot(t, dir, name)
}

// artifactsDir is test-artifacts/ at the repository's root.
func artifactsDir(t *testing.T) string { return filepath.Join(repoRoot(t), "test-artifacts") }

// repoRoot is the folder of go.mod, above this package's folder.
func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d
		}
		if filepath.Dir(d) == d {
			return dir
		}
	}
}

func safeName(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '/' || r == ' ' || r == ':' {
			return '_'
		}
		return r
	}, s)
}

// tid is the CSS selector of a data-testid hook.
func tid(id string) string { return `[data-testid="` + id + `"]` }

// jsq is a JavaScript string literal of s.
func jsq(s string) string { return strconv.Quote(s) }

// do runs actions in the tab, failing the test if they fail.
func (tb *tab) do(t *testing.T, what string, acts ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, wait)
	defer cancel()
	if err := chromedp.Do(ctx, acts...); err != nil {
		t.Fatalf("%s: %s: %v", tb.name, what, err)
	}
}

// eval returns the value of a JavaScript expression as text; an expression
// that throws (an element not there yet) gives "<error: …>".
func (tb *tab) eval(t *testing.T, expr string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, wait)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[string](
		`(() => { try { return String(`+expr+`) } catch (e) { return '<error: ' + e.message + '>' } })()`))
	if err != nil {
		t.Fatalf("%s: evaluate %s: %v", tb.name, expr, err)
	}
	return v
}

// waitEq waits until the JavaScript expression's value, as text, is want.
func (tb *tab) waitEq(t *testing.T, what, expr, want string) {
	t.Helper()
	tb.waitFunc(t, what, expr, func(got string) bool { return got == want }, fmt.Sprintf("%q", want))
}

// waitFunc waits until ok holds for the expression's value; on timeout it
// fails with "got X, want Y".
func (tb *tab) waitFunc(t *testing.T, what, expr string, ok func(string) bool, want string) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for {
		got := tb.eval(t, expr)
		if ok(got) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %s: got %q, want %s (waited %v; page %s)", tb.name, what, got, want, wait, tb.eval(t, `location.pathname`))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitAttr waits until the first element matching css has attr = want.
func (tb *tab) waitAttr(t *testing.T, css, attr, want string) {
	t.Helper()
	tb.waitEq(t, css+" "+attr, `document.querySelector(`+jsq(css)+`)?.getAttribute(`+jsq(attr)+`)`, want)
}

// waitCount waits until exactly n elements match css.
func (tb *tab) waitCount(t *testing.T, css string, n int) {
	t.Helper()
	tb.waitEq(t, "the number of "+css, `document.querySelectorAll(`+jsq(css)+`).length`, strconv.Itoa(n))
}

// waitText waits until the first element matching css has the text want
// (its textContent, trimmed).
func (tb *tab) waitText(t *testing.T, css, want string) {
	t.Helper()
	tb.waitEq(t, "the text of "+css, `document.querySelector(`+jsq(css)+`)?.textContent.trim()`, want)
}

// waitContains waits until some element matching css has text holding sub.
func (tb *tab) waitContains(t *testing.T, css, sub string) {
	t.Helper()
	tb.waitEq(t, "an element "+css+" with the text "+sub,
		`[...document.querySelectorAll(`+jsq(css)+`)].some(e => e.textContent.includes(`+jsq(sub)+`))`, "true")
}

// waitPresent waits until an element matches css.
func (tb *tab) waitPresent(t *testing.T, css string) {
	t.Helper()
	tb.waitEq(t, css+" is there", `!!document.querySelector(`+jsq(css)+`)`, "true")
}

// waitVisible waits until the first element matching css is rendered
// (not hidden, with a box).
func (tb *tab) waitVisible(t *testing.T, css string) {
	t.Helper()
	tb.waitEq(t, css+" is visible", `(e => !!e && !e.closest('[hidden]') && e.getClientRects().length > 0)(document.querySelector(`+jsq(css)+`))`, "true")
}

// waitLoaded waits until the signed-in page has loaded (main is not busy)
// and the tab's websocket said hello (live-status is open).
func (tb *tab) waitLoaded(t *testing.T) {
	t.Helper()
	tb.waitAttr(t, "main", "aria-busy", "false")
	tb.waitAttr(t, tid("live-status"), "data-state", "open")
}

// visit loads path afresh (a full page load) and waits until it is ready.
func (tb *tab) visit(t *testing.T, path string) {
	t.Helper()
	tb.do(t, "open "+path, chromedp.Navigate(tb.base+path))
	tb.waitLoaded(t)
}

// click clicks the first element matching css, like a person: a mouse
// click at its centre, once it is visible.
func (tb *tab) click(t *testing.T, css string) {
	t.Helper()
	tb.do(t, "click "+css, chromedp.Click(chromedp.CSS(css), chromedp.NodeVisible))
}

// typeInto types text into the first element matching css, key by key.
func (tb *tab) typeInto(t *testing.T, css, text string) {
	t.Helper()
	tb.do(t, "type into "+css, chromedp.SendKeys(chromedp.CSS(css), text, chromedp.NodeVisible))
}

// fill replaces the text of the input matching css by typing text.
func (tb *tab) fill(t *testing.T, css, text string) {
	t.Helper()
	tb.eval(t, `(e => { e.value = ''; e.dispatchEvent(new Event('input', { bubbles: true })) })(document.querySelector(`+jsq(css)+`))`)
	tb.typeInto(t, css, text)
}

// unread is the bell's count.
func (tb *tab) unread(t *testing.T) int {
	t.Helper()
	v := tb.eval(t, `document.querySelector(`+jsq(tid("bell"))+`).getAttribute('data-unread')`)
	n, err := strconv.Atoi(v)
	if err != nil {
		t.Fatalf("%s: bell data-unread: got %q, want a number", tb.name, v)
	}
	return n
}

// waitUnread waits until the bell shows n, in its attribute, its badge and
// the tab's title.
func (tb *tab) waitUnread(t *testing.T, n int) {
	t.Helper()
	tb.waitAttr(t, tid("bell"), "data-unread", strconv.Itoa(n))
	title := "smsinbox"
	if n > 0 {
		title = fmt.Sprintf("(%d) smsinbox", n)
	}
	tb.waitEq(t, "the tab title", `document.title`, title)
	tb.waitEq(t, "the bell's badge is shown", `!document.querySelector(`+jsq(tid("bell-count"))+`).hidden`, strconv.FormatBool(n > 0))
}
