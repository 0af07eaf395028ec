package static

import (
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// nodeOrSkip returns the path of node, or skips the test (fails under CI=true,
// where nothing may be skipped for a missing tool).
func nodeOrSkip(t *testing.T) string {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("node is required under CI=true to check the UI's JavaScript: %v", err)
		}
		t.Skipf("node not found (%v): skipping the JavaScript checks; install Node.js 20+ to run them", err)
	}
	return node
}

// TestJavaScriptSyntax runs `node --check` on every module the UI serves.
func TestJavaScriptSyntax(t *testing.T) {
	node := nodeOrSkip(t)
	var paths []string
	err := fs.WalkDir(files, "assets", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".js") {
			paths = append(paths, p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range paths {
		t.Run(p, func(t *testing.T) {
			t.Parallel()
			out, err := exec.Command(node, "--check", filepath.FromSlash(p)).CombinedOutput()
			if err != nil {
				t.Errorf("node --check %s: %v\n%s", p, err, out)
			}
		})
	}
}

// TestJavaScriptUnits runs the dependency-free node tests in test/*.mjs
// (segment counting, sequence numbers, the websocket client, the inbox model).
func TestJavaScriptUnits(t *testing.T) {
	node := nodeOrSkip(t)
	tests, err := filepath.Glob(filepath.Join("test", "*.test.mjs"))
	if err != nil || len(tests) == 0 {
		t.Fatalf("no test/*.test.mjs files (%v)", err)
	}
	args := append([]string{"--test", "--test-reporter=tap"}, tests...)
	cmd := exec.Command(node, args...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("node --test: %v\n%s", err, out)
	}
	if testing.Verbose() {
		t.Logf("%s", out)
	}
}
