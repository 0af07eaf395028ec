package static

// Browser tests of the UI against the fake API of fakeapi_test.go, in a
// real headless Chromium driven by chromedp. They find elements only by the
// data-testid hooks of UI.md. Without Chromium they skip (and fail under
// CI=true). Set INBOX_CHROMIUM to use another browser binary.

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

var (
	browserOnce sync.Once
	browserCtx  context.Context
	browserErr  error
)

// chromium finds the browser binary.
func chromium() (string, error) {
	if p := os.Getenv("INBOX_CHROMIUM"); p != "" {
		return p, nil
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("no chromium, chromium-browser or google-chrome on PATH (apt-get install chromium)")
}

// browser returns the package's one browser, started on first use; the
// browser lives as long as the test binary. Tests open their own browser
// contexts (separate cookies) in it.
func browser(t *testing.T) context.Context {
	t.Helper()
	if testing.Short() {
		t.Skip("browser tests skipped in -short mode")
	}
	browserOnce.Do(func() {
		path, err := chromium()
		if err != nil {
			browserErr = err
			return
		}
		dir, err := os.MkdirTemp("", "smsinbox-static-chromium-")
		if err != nil {
			browserErr = err
			return
		}
		actx, _ := chromedp.NewExecAllocator(context.Background(),
			chromedp.ExecPath(path), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
			chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
			chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
			chromedp.Flag("disable-sync", true), chromedp.Flag("disable-dev-shm-usage", true),
			chromedp.UserDataDir(dir), chromedp.WindowSize(1280, 900))
		ctx, _ := chromedp.NewContext(actx)
		if err := chromedp.Do(ctx); err != nil {
			browserErr = fmt.Errorf("start %s: %w", path, err)
			return
		}
		browserCtx = ctx
	})
	if browserErr != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("a browser is required under CI=true: %v", browserErr)
		}
		t.Skipf("skipping browser test: %v", browserErr)
	}
	return browserCtx
}

// tab is one browser context (own cookies) on the fake server, failing the
// test on any console error or uncaught exception.
type tab struct {
	t    *testing.T
	ctx  context.Context
	name string
	base string
}

func newTab(t *testing.T, base, name string) *tab {
	t.Helper()
	ctx, cancel := chromedp.NewContext(browser(t), chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("%s: open tab: %v", name, err)
	}
	cons := chromedp.Events(ctx, runtime.ConsoleAPICalled)
	exc := chromedp.Events(ctx, runtime.ExceptionThrown)
	go func() {
		for ev, err := range cons {
			if err != nil {
				return
			}
			if ev.Type == "error" || ev.Type == "assert" {
				var parts []string
				for _, a := range ev.Args {
					parts = append(parts, string(a.Value)+a.Description)
				}
				t.Errorf("%s: console.%s: %s", name, ev.Type, strings.Join(parts, " "))
			}
		}
	}()
	go func() {
		for ev, err := range exc {
			if err != nil {
				return
			}
			d := ev.ExceptionDetails
			msg := d.Text
			if d.Exception != nil {
				msg += " " + d.Exception.Description
			}
			t.Errorf("%s: uncaught exception: %s", name, msg)
		}
	}()
	return &tab{t: t, ctx: ctx, name: name, base: base}
}

func sel(testid string) string { return `[data-testid="` + testid + `"]` }

// js is a JavaScript expression for the first element matching css.
func js(css string) string { return "document.querySelector(" + jsString(css) + ")" }

func jsString(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}

// do runs actions, failing the test on error.
func (b *tab) do(what string, acts ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, acts...); err != nil {
		b.t.Fatalf("%s: %s: %v", b.name, what, err)
	}
}

// until waits for a JavaScript condition (a throwing one counts as false).
func (b *tab) until(what, cond string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	expr := "(() => { try { return !!(" + cond + ") } catch (e) { return false } })()"
	if _, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](expr, chromedp.WithPollingInterval(40*time.Millisecond))); err != nil {
		state, _ := chromedp.Run(b.ctx, chromedp.Evaluate[string](`location.pathname + ' ' + (document.querySelector('main')?.innerText || '').slice(0, 400)`))
		b.t.Fatalf("%s: %s: timed out waiting for %s\npage: %s", b.name, what, cond, state)
	}
}

func (b *tab) eval(expr string) {
	b.t.Helper()
	if _, err := chromedp.Run(b.ctx, chromedp.Evaluate[chromedp.Void](expr)); err != nil {
		b.t.Fatalf("%s: eval %s: %v", b.name, expr, err)
	}
}

func (b *tab) click(css string) {
	b.t.Helper()
	b.do("click "+css, chromedp.Click(chromedp.CSS(css)))
}

func (b *tab) signIn(email string) {
	b.t.Helper()
	b.do("open", chromedp.Navigate(b.base+"/"))
	b.until("sent to sign in", `location.pathname === '/login' && `+js(sel("login-email")))
	b.do("sign in",
		chromedp.SendKeys(chromedp.CSS(sel("login-email")), email),
		chromedp.SendKeys(chromedp.CSS(sel("login-password")), "demo"),
		chromedp.Click(chromedp.CSS(sel("login-submit"))))
	b.until("candidate pool", `location.pathname === '/' && document.querySelectorAll('[data-testid=contact-row]').length === 3`)
	b.until("websocket live", js(sel("live-status"))+`.dataset.state === 'open'`)
}

func startFake(t *testing.T) (*fakeAPI, string) {
	f := newFakeAPI()
	srv := httptest.NewServer(f.handler(true))
	t.Cleanup(srv.Close)
	return f, srv.URL
}

// TestBrowserInboxFlow walks the seed's story with two recruiters and a
// candidate's phone: icon → modal → send → live ticks; a reply raises both
// bells; one reads, both clear; attribution; mark unread; typing.
func TestBrowserInboxFlow(t *testing.T) {
	_, base := startFake(t)
	ana := newTab(t, base, "ana")
	ben := newTab(t, base, "ben")
	phone := newTab(t, base, "phone")

	ana.do("open sign in", chromedp.Navigate(base+"/login"))
	ana.do("wrong password",
		chromedp.SendKeys(chromedp.CSS(sel("login-email")), fakeAdmin),
		chromedp.SendKeys(chromedp.CSS(sel("login-password")), "nope"),
		chromedp.Click(chromedp.CSS(sel("login-submit"))))
	ana.until("sign-in error", js(sel("login-error"))+`.textContent === 'Wrong email or password.'`)

	ana.signIn(fakeAdmin)
	ben.signIn(fakeRecruiter)

	// S2, S5, S7: blue icons in the Actions column, none for the opted-out contact.
	ana.until("blue icons", `document.querySelectorAll('[data-testid=contact-row] [data-testid=sms-icon][data-state=blue]').length === 2`)
	ana.until("no icon when opted out", `!document.querySelector('[data-contact-id="3"] [data-testid=sms-icon]')`)
	ana.until("names are text", `document.querySelector('[data-contact-id="2"] a').textContent === 'Carl <b>Bold</b>'`)
	ana.until("icon label", js(`[data-contact-id="1"] `+sel("sms-icon"))+`.getAttribute('aria-label') === 'Text Ana Ruiz'`)
	ana.until("admin links", js(sel("nav-report")))
	ben.until("no admin links for recruiters", `!`+js(sel("nav-report")))
	ana.until("plain title", `document.title === 'smsinbox' && `+js(sel("bell"))+`.dataset.unread === '0' && `+js(sel("bell-count"))+`.hidden`)

	// S9, B6: the modal; Ana has two numbers and no thread yet → a picker.
	ana.click(`[data-contact-id="1"] ` + sel("sms-icon"))
	ana.until("modal open, focus in the composer", js(sel("sms-modal"))+`.open && document.activeElement === `+js(sel("sms-compose")))
	ana.do("type", chromedp.SendKeys(chromedp.CSS(sel("sms-compose")), "Hello"))
	ana.until("counter", js(sel("sms-segments"))+`.textContent === '5 characters · GSM-7 · 1 segment'`)
	ana.click(sel("sms-send"))
	ana.until("number required", js(sel("sms-error"))+`.textContent === 'Choose which of your numbers to text from.'`)
	ana.do("pick number", chromedp.SetValue(chromedp.CSS(sel("sms-number")), "1"))
	ana.eval(js(sel("sms-number")) + `.dispatchEvent(new Event('change'))`)
	ana.click(sel("sms-send"))
	ana.until("sent", `document.querySelectorAll('[data-testid=thread-message]').length === 1 && `+js(sel("sms-compose"))+`.value === '' && `+js(sel("sms-error"))+`.hidden`)
	// B3: live ticks.
	ana.until("delivered", js(sel("thread-message"))+`.dataset.status === 'delivered' && `+js(sel("thread-message"))+`.dataset.direction === 'outbound'`)
	// S8: green everywhere, live.
	ben.until("green for ben", js(`[data-contact-id="1"] `+sel("sms-icon"))+`.dataset.state === 'green'`)
	ana.until("green behind the modal", js(`[data-contact-id="1"] `+sel("sms-icon"))+`.dataset.state === 'green'`)
	// B6: over 1,600 characters cannot be sent.
	ana.eval(js(sel("sms-compose")) + `.value = 'ж'.repeat(1601); ` + js(sel("sms-compose")) + `.dispatchEvent(new Event('input'))`)
	ana.until("too long", js(sel("sms-send"))+`.disabled && `+js(sel("sms-segments"))+`.dataset.encoding === 'UCS-2'`)
	ana.eval(js(sel("sms-compose")) + `.value = ''; ` + js(sel("sms-compose")) + `.dispatchEvent(new Event('input'))`)
	ana.do("Esc", chromedp.KeyEvent("\x1b"))
	ana.until("closed, focus back on the icon", `!`+js(sel("sms-modal"))+`?.open && document.activeElement?.dataset.testid === 'sms-icon'`)

	// S10: the candidate replies; both assignees' bells light up.
	phone.do("open phone", chromedp.Navigate(base+"/dev/phone"))
	phone.until("phone shows the text", `document.querySelectorAll('[data-testid=sim-message][data-direction=to_phone]').length === 1`)
	phone.do("reply", chromedp.SendKeys(chromedp.CSS(sel("sim-text")), "Yes please!"), chromedp.Click(chromedp.CSS(sel("sim-send"))))
	phone.until("phone shows the reply", `document.querySelectorAll('[data-testid=sim-message]').length === 2`)
	for _, b := range []*tab{ana, ben} {
		b.until("bell raised", js(sel("bell"))+`.dataset.unread === '1' && !`+js(sel("bell-count"))+`.hidden && document.title === '(1) smsinbox'`)
	}

	// S11: Ben reads it from the widget; both bells clear.
	ben.click(sel("bell"))
	ben.until("widget", `!`+js(sel("inbox-widget"))+`.hidden && document.querySelectorAll('[data-testid=inbox-item]').length === 1`)
	ben.click(sel("inbox-item"))
	ben.until("thread shown", js(sel("sms-modal"))+`.open && document.querySelectorAll('[data-testid=thread-message]').length === 2`)
	for _, b := range []*tab{ben, ana} {
		b.until("bell cleared", js(sel("bell"))+`.dataset.unread === '0' && `+js(sel("bell-count"))+`.hidden && document.title === 'smsinbox'`)
	}
	// B1: attribution.
	ana.click(sel("bell"))
	ana.until("read by", js(sel("read-by"))+`.textContent.startsWith('Read by Ben Recruiter')`)
	ana.until("replied by", js(sel("replied-by"))+`.textContent === 'Replied by Ana Admin'`)

	// B2: Ana opens the same thread and types; Ben sees it.
	ana.click(sel("inbox-item"))
	ana.until("thread shown", js(sel("sms-modal"))+`.open && document.querySelectorAll('[data-testid=thread-message]').length === 2`)
	ana.do("type", chromedp.SendKeys(chromedp.CSS(sel("sms-compose")), "Great"))
	ben.until("typing", `!`+js(sel("typing-indicator"))+`.hidden && `+js(sel("typing-indicator"))+`.textContent === 'Ana Admin is typing…'`)
	ana.do("send with Enter", chromedp.KeyEvent("\r"))
	ben.until("message arrives, typing ends", `document.querySelectorAll('[data-testid=thread-message]').length === 3 && `+js(sel("typing-indicator"))+`.hidden`)
	ben.click(sel("sms-close"))
	ana.click(sel("sms-close"))

	// B1: mark unread re-raises Ben's bell.
	ana.click(sel("bell"))
	ana.click(sel("mark-unread"))
	ben.until("bell raised again", js(sel("bell"))+`.dataset.unread === '1'`)

	// S12: the profile's history, live.
	ben.do("profile", chromedp.Navigate(base+"/candidates/1"))
	ben.until("phone with icon", js(sel("contact-phone"))+`.textContent === '+14155551001' && `+js(sel("contact-phone")+" "+sel("sms-icon"))+`.dataset.state === 'green'`)
	ben.until("consent", js(sel("contact-consent"))+`.textContent.startsWith('Opted in when applying')`)
	ben.until("history collapsed", js(sel("sms-history"))+`.hidden`)
	ben.click(sel("sms-history-toggle"))
	ben.until("history", `!`+js(sel("sms-history"))+`.hidden && document.querySelectorAll('[data-testid=history-message]').length === 3`)
	phone.do("reply again", chromedp.SendKeys(chromedp.CSS(sel("sim-text")), "When?"), chromedp.Click(chromedp.CSS(sel("sim-send"))))
	ben.until("history is live", `document.querySelectorAll('[data-testid=history-message]').length === 4`)

	// Jobs and admin pages.
	ana.do("jobs", chromedp.Navigate(base+"/jobs"))
	ana.click(sel("job-link"))
	ana.until("applicants with icons", `location.pathname === '/jobs/1' && document.querySelectorAll('[data-testid=contact-row] [data-testid=sms-icon]').length === 2`)
	ana.do("users", chromedp.Navigate(base+"/admin/users"))
	ana.until("users", `document.querySelectorAll('[data-testid=user-row]').length === 2`)
	ana.do("numbers", chromedp.Navigate(base+"/admin/numbers"))
	ana.until("numbers", `document.querySelectorAll('[data-testid=number-row] [data-testid=assignee-select]').length === 2`)
	ana.do("report", chromedp.Navigate(base+"/admin/reports/sms-activity?direction=inbound"))
	ana.until("report", `document.querySelectorAll('[data-testid=report-row]').length === 2 && `+js(sel("report-export"))+`.getAttribute('href').includes('format=csv') && `+js(sel("report-export"))+`.getAttribute('href').includes('direction=inbound')`)
	ben.do("report as recruiter", chromedp.Navigate(base+"/admin/reports/sms-activity"))
	ben.until("admins only", js(sel("forbidden")))

	ana.click(sel("sign-out"))
	ana.until("signed out", `location.pathname === '/login' && `+js("#topbar")+`.hidden`)
}

// TestBrowserNarrowScreen checks the 360 px layout: no sideways scrolling,
// rows as cards, a full-screen modal.
func TestBrowserNarrowScreen(t *testing.T) {
	_, base := startFake(t)
	b := newTab(t, base, "narrow")
	b.do("viewport", chromedp.EmulateViewport(360, 740))
	b.signIn(fakeRecruiter)
	b.until("no sideways scroll", `document.documentElement.scrollWidth <= 360`)
	b.until("rows are cards", `getComputedStyle(`+js(sel("contact-row"))+`).display === 'block'`)
	b.click(`[data-contact-id="2"] ` + sel("sms-icon"))
	b.until("modal fills the screen", js(sel("sms-modal"))+`.open && `+js(sel("sms-modal"))+`.getBoundingClientRect().width >= 359`)
	b.do("Esc", chromedp.KeyEvent("\x1b"))
	b.click(sel("bell"))
	b.until("widget fits", `!`+js(sel("inbox-widget"))+`.hidden && `+js(sel("inbox-widget"))+`.getBoundingClientRect().right <= 360`)
}
