// Package static serves the reference web UI of smsinbox: index.html for
// every client route, and the CSS, JavaScript modules and icons
// under a content-fingerprinted prefix, /assets/{version}/, so that browsers
// may cache them forever and still never run a stale mix after a deploy.
//
// There is no build step: the files under assets/ are what the browser runs.
// Relative ES-module imports keep working because every asset shares the one
// prefix.
package static

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"net/http"
	"path"
	"sort"
	"strings"
	"sync"
	"time"

	"smsinbox/pkg/plainchars"
)

//go:embed index.html assets
var files embed.FS

// Options configure the UI handler.
type Options struct {
	// Dev makes the /dev/phone candidate-phone simulator page available
	// (only meaningful when the server runs the Plivo simulator).
	Dev bool
	// FrameAncestors lists extra origins allowed to embed the UI in a frame
	// (an ATS that embeds the inbox), e.g. "https://ats.example.com". The UI
	// may always frame itself.
	FrameAncestors []string
}

// asset is one embedded file, ready to serve.
type asset struct {
	body  []byte
	gz    []byte // gzip of body, nil when it does not pay
	ctype string
	etag  string
}

// tree is the embedded asset tree, read once.
type tree struct {
	version string            // short content hash of every embedded file
	assets  map[string]*asset // by path under assets/, e.g. "js/main.js"
	index   []byte            // index.html with the {{ASSETS}} placeholder
}

var loadTree = sync.OnceValue(func() *tree {
	t, err := readTree(files)
	if err != nil {
		// The files are compiled in; failing to read them is a build bug.
		panic("static: " + err.Error())
	}
	return t
})

// Version is the fingerprint of the embedded assets: the {v} of
// /assets/{v}/. It changes whenever any embedded file changes.
func Version() string { return loadTree().version }

func readTree(fsys fs.FS) (*tree, error) {
	index, err := fs.ReadFile(fsys, "index.html")
	if err != nil {
		return nil, err
	}
	t := &tree{assets: map[string]*asset{}, index: index}
	var names []string
	err = fs.WalkDir(fsys, "assets", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		names = append(names, p)
		return nil
	})
	if err != nil {
		return nil, err
	}
	// The plain-characters table is the server's own (pkg/plainchars),
	// served beside the composer's module that reads it.
	extra := map[string][]byte{"assets/js/plainchars.json": plainchars.JSON}
	for name := range extra {
		names = append(names, name)
	}
	sort.Strings(names)
	sum := sha256.New()
	sum.Write(index)
	for _, name := range names {
		body, ok := extra[name]
		if !ok {
			if body, err = fs.ReadFile(fsys, name); err != nil {
				return nil, err
			}
		}
		// Hash the name too, so that a rename alone changes the version.
		sum.Write([]byte("\x00" + name + "\x00"))
		sum.Write(body)
		fileSum := sha256.Sum256(body)
		a := &asset{
			body:  body,
			ctype: contentType(name),
			etag:  `"` + hex.EncodeToString(fileSum[:8]) + `"`,
		}
		if compressible(a.ctype) {
			a.gz = gzipped(body)
		}
		t.assets[strings.TrimPrefix(name, "assets/")] = a
	}
	t.version = hex.EncodeToString(sum.Sum(nil))[:12]
	return t, nil
}

// contentType is fixed per extension rather than taken from the system's
// MIME tables, which differ between machines (.js as application/javascript
// or text/plain breaks module loading under nosniff).
func contentType(name string) string {
	switch path.Ext(name) {
	case ".js", ".mjs":
		return "text/javascript; charset=utf-8"
	case ".css":
		return "text/css; charset=utf-8"
	case ".html":
		return "text/html; charset=utf-8"
	case ".svg":
		return "image/svg+xml"
	case ".png":
		return "image/png"
	case ".ico":
		return "image/x-icon"
	case ".json", ".webmanifest":
		return "application/json"
	case ".txt":
		return "text/plain; charset=utf-8"
	case ".woff2":
		return "font/woff2"
	}
	return "application/octet-stream"
}

func compressible(ctype string) bool {
	return strings.HasPrefix(ctype, "text/") || ctype == "image/svg+xml" || ctype == "application/json"
}

// gzipped returns body compressed, or nil when compression saves too little.
func gzipped(body []byte) []byte {
	if len(body) < 512 {
		return nil
	}
	var b bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
	zw.Write(body)
	zw.Close()
	if b.Len() >= len(body)*9/10 {
		return nil
	}
	return b.Bytes()
}

// handler serves the UI; see Handler.
type handler struct {
	t         *tree
	dev       bool
	index     []byte
	indexETag string
	csp       string
}

// Handler returns the UI handler. It answers GET and HEAD:
//   - index.html (Cache-Control: no-cache, a strict Content-Security-Policy)
//     for each client route: /login, /, /candidates,
//     /candidates/{id}, /jobs, /jobs/{id}, /admin/users, /admin/numbers,
//     /admin/reports/sms-activity, and /dev/phone when opts.Dev; and
//     /account, /admin/tokens, /admin/webhooks;
//   - /assets/{v}/{file} with Cache-Control: public, max-age=31536000,
//     immutable, where v is Version();
//   - 404 for every other path.
//
// Mount it as the catch-all ("/") beside the /api, /ws and /webhooks routes.
func Handler(opts Options) http.Handler {
	t := loadTree()
	dev := "false"
	if opts.Dev {
		dev = "true"
	}
	index := bytes.ReplaceAll(t.index, []byte("{{ASSETS}}"), []byte("/assets/"+t.version))
	index = bytes.ReplaceAll(index, []byte("{{DEV}}"), []byte(dev))
	indexSum := sha256.Sum256(index)

	ancestors := []string{"'self'"}
	for _, o := range opts.FrameAncestors {
		// Keep only characters that can appear in an origin, so a bad
		// configuration cannot inject other directives.
		if o = strings.TrimSpace(o); o != "" && !strings.ContainsAny(o, " ;,'\"\r\n") {
			ancestors = append(ancestors, o)
		}
	}
	csp := strings.Join([]string{
		"default-src 'self'",
		"script-src 'self'",
		"style-src 'self'",
		"img-src 'self'",
		"font-src 'self'",
		"connect-src 'self'", // CSP3: 'self' also allows ws(s):// to the same host
		"manifest-src 'self'",
		"object-src 'none'",
		"base-uri 'none'",
		"form-action 'self'",
		"frame-ancestors " + strings.Join(ancestors, " "),
	}, "; ")

	return &handler{
		t:         t,
		dev:       opts.Dev,
		index:     index,
		indexETag: `"` + hex.EncodeToString(indexSum[:8]) + `"`,
		csp:       csp,
	}
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "405 method not allowed", http.StatusMethodNotAllowed)
		return
	}
	p := r.URL.Path
	switch {
	case strings.HasPrefix(p, "/assets/"):
		h.serveAsset(w, r, strings.TrimPrefix(p, "/assets/"))
	case h.isClientRoute(p):
		h.serveIndex(w, r)
	default:
		http.NotFound(w, r)
	}
}

// isClientRoute reports whether p is a client page, routed in the browser.
func (h *handler) isClientRoute(p string) bool {
	switch p {
	case "/", "/login", "/candidates", "/jobs", "/account", "/templates",
		"/admin/users", "/admin/numbers", "/admin/reports/sms-activity", "/admin/tokens", "/admin/webhooks":
		return true
	case "/dev/phone":
		return h.dev
	}
	for _, prefix := range []string{"/candidates/", "/jobs/"} {
		if id, ok := strings.CutPrefix(p, prefix); ok {
			return isID(id)
		}
	}
	return false
}

// isID reports whether s is a positive decimal id as the API uses.
func isID(s string) bool {
	if s == "" || len(s) > 19 || s[0] == '0' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func (h *handler) serveIndex(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	hd.Set("Content-Type", "text/html; charset=utf-8")
	hd.Set("Cache-Control", "no-cache")
	hd.Set("Content-Security-Policy", h.csp)
	hd.Set("Referrer-Policy", "same-origin")
	hd.Set("Cross-Origin-Opener-Policy", "same-origin")
	hd.Set("ETag", h.indexETag)
	http.ServeContent(w, r, "index.html", time.Time{}, bytes.NewReader(h.index))
}

func (h *handler) serveAsset(w http.ResponseWriter, r *http.Request, rest string) {
	v, name, ok := strings.Cut(rest, "/")
	if !ok || v == "" || name == "" || path.Clean("/"+name) != "/"+name {
		http.NotFound(w, r)
		return
	}
	a := h.t.assets[name]
	if a == nil {
		http.NotFound(w, r)
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", a.ctype)
	hd.Set("Vary", "Accept-Encoding")
	if v == h.t.version {
		hd.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		// A page from another deployment (a rolling update behind a load
		// balancer) asks for its own version: answer with what we have,
		// but never let it be cached under a fingerprint it does not match.
		hd.Set("Cache-Control", "no-cache")
	}
	body, etag := a.body, a.etag
	if a.gz != nil && acceptsGzip(r) {
		hd.Set("Content-Encoding", "gzip")
		body, etag = a.gz, strings.TrimSuffix(a.etag, `"`)+`-gz"`
	}
	hd.Set("ETag", etag)
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(body))
}

func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(coding), "gzip") {
			return strings.ReplaceAll(params, " ", "") != "q=0"
		}
	}
	return false
}
