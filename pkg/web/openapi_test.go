package web_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"smsinbox/pkg/web"
)

// specPath is the OpenAPI description of every route, relative to this
// package; specName is how failures name it.
const (
	specPath = "../../docs/openapi.yaml"
	specName = "docs/openapi.yaml"
)

// idlePhone satisfies web.Phone so that New registers the dev-mode routes;
// the test only reads the route table and never calls it.
type idlePhone struct{}

func (idlePhone) Texts() any                                         { return nil }
func (idlePhone) Send(context.Context, string, string, string) error { return nil }

// allRoutes is the route table of a server with every optional route on.
func allRoutes(t *testing.T) []string {
	t.Helper()
	s, err := web.New(web.Options{Phone: idlePhone{}, Metrics: http.NotFoundHandler(), Static: http.NotFoundHandler()})
	if err != nil {
		t.Fatal(err)
	}
	return s.Routes()
}

// fallbacks are the routes that answer what no other route takes; they are
// not operations of the API.
var fallbacks = []string{"/api/", "/"}

func TestOpenAPICoversEveryRoute(t *testing.T) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromFile(specPath)
	if err != nil {
		t.Fatalf("load %s: %v", specPath, err)
	}
	if err := doc.Validate(loader.Context); err != nil {
		t.Fatalf("%s is not a valid OpenAPI document: %v", specName, err)
	}

	routes := allRoutes(t)
	registered := map[string]bool{}
	for _, pattern := range routes {
		method, path, ok := strings.Cut(pattern, " ")
		if !ok {
			if !slices.Contains(fallbacks, pattern) {
				t.Errorf("route %q has no method: give it one, so that docs/openapi.yaml can describe it", pattern)
			}
			continue
		}
		registered[method+" "+path] = true
		item := doc.Paths.Value(path)
		if item == nil || item.GetOperation(method) == nil {
			t.Errorf("route %s %s is missing from %s", method, path, specName)
		}
	}
	if len(registered) == 0 {
		t.Fatal("the server registered no routes with a method; got", routes)
	}

	// And the other way round: the document describes nothing that is not served.
	for _, path := range doc.Paths.InMatchingOrder() {
		for method := range doc.Paths.Value(path).Operations() {
			if !registered[method+" "+path] {
				t.Errorf("%s describes %s %s, which routes.go does not register", specName, method, path)
			}
		}
	}
}

func TestRoutesDependOnOptions(t *testing.T) {
	s, err := web.New(web.Options{})
	if err != nil {
		t.Fatal(err)
	}
	routes := s.Routes()
	for _, absent := range []string{"GET /metrics", "GET /api/dev/phone", "POST /api/dev/phone", "/"} {
		if slices.Contains(routes, absent) {
			t.Errorf("without Metrics, Phone and Static: routes include %q, want it absent", absent)
		}
	}
	all := allRoutes(t)
	for _, present := range []string{"GET /metrics", "GET /api/dev/phone", "POST /api/dev/phone", "/", "GET /api/me"} {
		if !slices.Contains(all, present) {
			t.Errorf("with every option: routes lack %q; got %v", present, all)
		}
	}
}
