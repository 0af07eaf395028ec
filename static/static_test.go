package static

import (
	"smsinbox/pkg/plainchars"

	"bytes"
	"compress/gzip"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"path"
	"regexp"
	"strings"
	"testing"
)

func serve(t *testing.T, h http.Handler, method, target string, header ...string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(method, target, nil)
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Set(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func TestClientRoutesServeIndex(t *testing.T) {
	h := Handler(Options{})
	for _, p := range []string{
		"/", "/login", "/candidates", "/candidates/42", "/jobs", "/jobs/7", "/templates",
		"/admin/users", "/admin/numbers", "/admin/reports/sms-activity", "/admin/tokens", "/admin/webhooks", "/account",
		"/candidates/1?from=bell", "/admin/reports/sms-activity?direction=inbound",
	} {
		t.Run(p, func(t *testing.T) {
			w := serve(t, h, "GET", p)
			if w.Code != http.StatusOK {
				t.Fatalf("GET %s: got %d, want 200", p, w.Code)
			}
			hd := w.Header()
			if got, want := hd.Get("Content-Type"), "text/html; charset=utf-8"; got != want {
				t.Errorf("Content-Type: got %q, want %q", got, want)
			}
			if got, want := hd.Get("Cache-Control"), "no-cache"; got != want {
				t.Errorf("Cache-Control: got %q, want %q", got, want)
			}
			if got := hd.Get("X-Content-Type-Options"); got != "nosniff" {
				t.Errorf("X-Content-Type-Options: got %q, want nosniff", got)
			}
			csp := hd.Get("Content-Security-Policy")
			for _, want := range []string{"default-src 'self'", "script-src 'self'", "object-src 'none'", "base-uri 'none'", "frame-ancestors 'self'"} {
				if !strings.Contains(csp, want) {
					t.Errorf("CSP %q lacks %q", csp, want)
				}
			}
			if strings.Contains(csp, "unsafe-") {
				t.Errorf("CSP %q allows unsafe sources", csp)
			}
			body := w.Body.String()
			if !strings.Contains(body, `src="/assets/`+Version()+`/js/main.js"`) {
				t.Errorf("index does not load /assets/%s/js/main.js:\n%s", Version(), body)
			}
			if strings.Contains(body, "{{") {
				t.Errorf("index has an untemplated placeholder:\n%s", body)
			}
		})
	}
}

func TestUnknownPathsAre404(t *testing.T) {
	h := Handler(Options{Dev: true})
	for _, p := range []string{
		"/nope", "/candidates/", "/candidates/abc", "/candidates/0", "/candidates/1/2", "/jobs/x",
		"/admin", "/admin/users/1", "/index.html", "/favicon.ico", "/assets", "/assets/",
		"/assets/" + Version() + "/nope.js", "/assets/" + Version() + "/", "/assets/" + Version() + "/../index.html",
		"/assets/" + Version() + "/js/../app.css", "/static.go", "/api/unknown",
	} {
		w := serve(t, h, "GET", p)
		if w.Code != http.StatusNotFound {
			t.Errorf("GET %s: got %d, want 404", p, w.Code)
		}
	}
}

func TestDevPhoneOnlyInDev(t *testing.T) {
	if got := serve(t, Handler(Options{}), "GET", "/dev/phone").Code; got != http.StatusNotFound {
		t.Errorf("GET /dev/phone without Dev: got %d, want 404", got)
	}
	w := serve(t, Handler(Options{Dev: true}), "GET", "/dev/phone")
	if w.Code != http.StatusOK {
		t.Fatalf("GET /dev/phone with Dev: got %d, want 200", w.Code)
	}
	if !strings.Contains(w.Body.String(), `data-dev="true"`) {
		t.Errorf("index in dev mode lacks data-dev=\"true\"")
	}
	if !strings.Contains(serve(t, Handler(Options{}), "GET", "/").Body.String(), `data-dev="false"`) {
		t.Errorf("index outside dev mode lacks data-dev=\"false\"")
	}
}

func TestAssetsAreFingerprintedAndImmutable(t *testing.T) {
	h := Handler(Options{})
	v := Version()
	if !regexp.MustCompile(`^[0-9a-f]{12}$`).MatchString(v) {
		t.Fatalf("Version() = %q, want 12 hex digits", v)
	}
	cases := map[string]string{
		"js/main.js":                "text/javascript; charset=utf-8",
		"js/components/smsmodal.js": "text/javascript; charset=utf-8",
		"app.css":                   "text/css; charset=utf-8",
		"icon.svg":                  "image/svg+xml",
	}
	for name, ctype := range cases {
		w := serve(t, h, "GET", "/assets/"+v+"/"+name)
		if w.Code != http.StatusOK {
			t.Fatalf("GET %s: got %d, want 200", name, w.Code)
		}
		hd := w.Header()
		if got := hd.Get("Content-Type"); got != ctype {
			t.Errorf("%s Content-Type: got %q, want %q", name, got, ctype)
		}
		if got, want := hd.Get("Cache-Control"), "public, max-age=31536000, immutable"; got != want {
			t.Errorf("%s Cache-Control: got %q, want %q", name, got, want)
		}
		if got := hd.Get("X-Content-Type-Options"); got != "nosniff" {
			t.Errorf("%s X-Content-Type-Options: got %q", name, got)
		}
		want, _ := fs.ReadFile(files, "assets/"+name)
		if !bytes.Equal(w.Body.Bytes(), want) {
			t.Errorf("%s: body differs from the embedded file", name)
		}
	}
}

func TestStaleAssetVersionIsNotCachedForever(t *testing.T) {
	w := serve(t, Handler(Options{}), "GET", "/assets/000000000000/js/main.js")
	if w.Code != http.StatusOK {
		t.Fatalf("got %d, want 200", w.Code)
	}
	if got := w.Header().Get("Cache-Control"); got != "no-cache" {
		t.Errorf("Cache-Control for another version: got %q, want no-cache", got)
	}
}

func TestGzipAndConditionalRequests(t *testing.T) {
	h := Handler(Options{})
	url := "/assets/" + Version() + "/js/components/smsmodal.js"
	plain := serve(t, h, "GET", url)
	w := serve(t, h, "GET", url, "Accept-Encoding", "gzip, br")
	if got := w.Header().Get("Content-Encoding"); got != "gzip" {
		t.Fatalf("Content-Encoding: got %q, want gzip", got)
	}
	if got := w.Header().Get("Vary"); got != "Accept-Encoding" {
		t.Errorf("Vary: got %q, want Accept-Encoding", got)
	}
	zr, err := gzip.NewReader(w.Body)
	if err != nil {
		t.Fatal(err)
	}
	unzipped, _ := io.ReadAll(zr)
	if !bytes.Equal(unzipped, plain.Body.Bytes()) {
		t.Error("gzip body does not decompress to the plain body")
	}
	if serve(t, h, "GET", url, "Accept-Encoding", "gzip;q=0").Header().Get("Content-Encoding") != "" {
		t.Error("gzip;q=0 still got gzip")
	}

	etag := plain.Header().Get("ETag")
	if etag == "" {
		t.Fatal("asset has no ETag")
	}
	if got := serve(t, h, "GET", url, "If-None-Match", etag).Code; got != http.StatusNotModified {
		t.Errorf("asset If-None-Match: got %d, want 304", got)
	}
	ietag := serve(t, h, "GET", "/").Header().Get("ETag")
	if got := serve(t, h, "GET", "/jobs", "If-None-Match", ietag).Code; got != http.StatusNotModified {
		t.Errorf("index If-None-Match: got %d, want 304", got)
	}
}

func TestMethods(t *testing.T) {
	h := Handler(Options{})
	w := serve(t, h, "HEAD", "/candidates")
	if w.Code != http.StatusOK || w.Body.Len() != 0 {
		t.Errorf("HEAD /candidates: got %d with %d bytes, want 200 and no body", w.Code, w.Body.Len())
	}
	w = serve(t, h, "POST", "/candidates")
	if w.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST /candidates: got %d, want 405", w.Code)
	}
	if got := w.Header().Get("Allow"); got != "GET, HEAD" {
		t.Errorf("Allow: got %q", got)
	}
}

func TestFrameAncestorsOption(t *testing.T) {
	h := Handler(Options{FrameAncestors: []string{"https://ats.example.com", "bad; script-src *"}})
	csp := serve(t, h, "GET", "/").Header().Get("Content-Security-Policy")
	if !strings.Contains(csp, "frame-ancestors 'self' https://ats.example.com;") && !strings.HasSuffix(csp, "frame-ancestors 'self' https://ats.example.com") {
		t.Errorf("CSP %q lacks the configured frame ancestor", csp)
	}
	if strings.Contains(csp, "script-src *") {
		t.Errorf("CSP %q took an injected directive", csp)
	}
}

// TestIndexReferencesExist checks that every /assets/{v}/ URL in index.html
// is served, and that the page has no inline script (the CSP forbids it).
func TestIndexReferencesExist(t *testing.T) {
	h := Handler(Options{})
	body := serve(t, h, "GET", "/").Body.String()
	refs := regexp.MustCompile(`(?:src|href)="(/assets/[^"]+)"`).FindAllStringSubmatch(body, -1)
	if len(refs) < 3 {
		t.Fatalf("index references %d assets, want at least 3", len(refs))
	}
	for _, m := range refs {
		if got := serve(t, h, "GET", m[1]).Code; got != http.StatusOK {
			t.Errorf("GET %s (from index.html): got %d, want 200", m[1], got)
		}
	}
	for _, m := range regexp.MustCompile(`<script[^>]*>`).FindAllString(body, -1) {
		if !strings.Contains(m, " src=") {
			t.Errorf("inline script in index.html: %s", m)
		}
	}
	if regexp.MustCompile(`\son[a-z]+=`).MatchString(body) || strings.Contains(body, "style=") {
		t.Error("index.html has inline handlers or styles, which the CSP forbids")
	}
}

// jsFiles returns every embedded JavaScript module by path under assets/.
func jsFiles(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := fs.WalkDir(files, "assets", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".js") {
			b, err := fs.ReadFile(files, p)
			if err != nil {
				return err
			}
			out[p] = string(b)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out) == 0 {
		t.Fatal("no embedded .js files")
	}
	return out
}

// TestModuleImportsResolve guards the no-build-step setup: every relative
// import of every module names an embedded file.
func TestModuleImportsResolve(t *testing.T) {
	importRE := regexp.MustCompile(`(?m)(?:^\s*import\s[^;]*?from\s*|^\s*import\s*|\bimport\()\s*['"](\.{1,2}/[^'"]+)['"]`)
	for p, src := range jsFiles(t) {
		for _, m := range importRE.FindAllStringSubmatch(src, -1) {
			target := path.Join(path.Dir(p), m[1])
			if _, err := fs.Stat(files, target); err != nil {
				t.Errorf("%s imports %q: %s is not embedded", p, m[1], target)
			}
		}
	}
}

// TestNoUnsafeDOMOrBlockingDialogs enforces two rules of the UI: user text
// never goes through HTML parsing, and nothing blocks with alert/confirm.
func TestNoUnsafeDOMOrBlockingDialogs(t *testing.T) {
	bad := regexp.MustCompile(`\.(innerHTML|outerHTML)\b|insertAdjacentHTML|document\.write|\beval\(|new Function\(|\b(alert|confirm|prompt)\(`)
	for p, src := range jsFiles(t) {
		for i, line := range strings.Split(src, "\n") {
			code, _, _ := strings.Cut(line, "// ")
			if m := bad.FindString(code); m != "" {
				t.Errorf("%s:%d uses %s", p, i+1, m)
			}
		}
	}
}

// TestContractHooksPresent checks that every data-testid hook of the UI contract (and the
// brief's extra hooks) is named somewhere in the app, so a redesign cannot
// drop one silently.
func TestContractHooksPresent(t *testing.T) {
	var all strings.Builder
	for _, src := range jsFiles(t) {
		all.WriteString(src)
	}
	src := all.String()
	for _, id := range []string{
		"login-email", "login-password", "login-submit", "login-error",
		"contact-row", "contact-phone", "sms-history-toggle", "sms-history", "history-message",
		"number-row", "assignee-select", "assignees-save", "report-row", "report-export",
		"sim-from", "sim-to", "sim-text", "sim-send", "sim-message",
		"bell", "bell-count", "inbox-widget", "inbox-item", "read-by", "mark-unread",
		"sms-icon", "sms-modal", "sms-thread", "thread-message", "sms-compose", "sms-segments",
		"sms-send", "typing-indicator", "sms-close", "sms-error",
		"inbox-filter", "inbox-more", "claim-badge", "claim-release", "search-input", "search-result",
		"template-picker", "template-preview", "schedule-toggle", "schedule-at", "scheduled-badge", "cancel-scheduled",
		"plain-characters", "row-select", "bulk-open", "bulk-skips", "bulk-progress", "resend",
	} {
		if !strings.Contains(src, "testid: '"+id+"'") {
			t.Errorf("data-testid %q is not used by any module", id)
		}
	}
	for _, attr := range []string{"data-unread", "data-thread-id", "data-contact-id", "data-state", "data-direction", "data-status"} {
		if !strings.Contains(src, "'"+attr+"'") {
			t.Errorf("attribute %q is not set by any module", attr)
		}
	}
}

// TestPlainCharsTableIsTheServers: the composer reads the very table the
// server embeds.
func TestPlainCharsTableIsTheServers(t *testing.T) {
	w := serve(t, Handler(Options{}), "GET", "/assets/"+Version()+"/js/plainchars.json")
	if w.Code != http.StatusOK || w.Body.String() != string(plainchars.JSON) ||
		w.Header().Get("Content-Type") != "application/json" {
		t.Fatalf("GET plainchars.json: %d, %d bytes; want the server's table", w.Code, w.Body.Len())
	}
}
