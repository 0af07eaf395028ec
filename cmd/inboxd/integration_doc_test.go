package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// docVerifySignature is the Go block of docs/INTEGRATION.md that verifies
// a webhook's signature.
func docVerifySignature(t *testing.T) string {
	t.Helper()
	doc, err := os.ReadFile(filepath.Join(repoRoot(t), "docs", "INTEGRATION.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range regexp.MustCompile("(?s)```go\n(.*?)```").FindAllStringSubmatch(string(doc), -1) {
		if strings.Contains(m[1], "func VerifySignature(") {
			return m[1]
		}
	}
	t.Fatal("docs/INTEGRATION.md has no Go block with func VerifySignature")
	return ""
}

// The signature check docs/INTEGRATION.md gives an ATS's developers,
// compiled as they would paste it, accepts a real delivery of a real
// server, and refuses it with its body, secret or timestamp changed.
func TestIntegrationDocVerifiesARealDelivery(t *testing.T) {
	f := newPlivoFixture(t, nil)
	block := docVerifySignature(t)
	if n := strings.Count(strings.TrimSpace(block), "\n") + 1; n > 22 {
		t.Errorf("the example is %d lines; keep it short", n)
	}
	r := newReceiver(t)
	var header string
	var body []byte
	r.capture = func(h string, b []byte) { header, body = h, b }
	hook := r.register(t, f.admin, "*")
	f.inbound(t, "Is the forklift job still open?")
	eventually(t, 10*time.Second, "a delivery arrives", func() bool { return len(r.acknowledged()) > 0 })
	r.mu.Lock()
	h, b := header, body
	r.mu.Unlock()

	dir := t.TempDir()
	program := `package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

` + block + `
func main() {
	body, _ := os.ReadFile(os.Args[3])
	now := time.Now()
	if os.Args[4] == "late" {
		now = now.Add(time.Hour)
	}
	fmt.Println(VerifySignature(os.Args[1], os.Args[2], body, now))
}
`
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(program), 0o600); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "verify")
	build := exec.Command("go", "build", "-o", bin, "main.go")
	build.Dir = dir
	build.Env = append(os.Environ(), "GO111MODULE=off", "GOFLAGS=")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("the doc's example does not compile: %v\n%s", err, out)
	}
	tampered := append([]byte(nil), b...)
	tampered[len(tampered)/2] ^= 1
	for _, c := range []struct {
		name, secret string
		body         []byte
		when, want   string
	}{
		{"the delivery", hook.Secret, b, "now", "true"},
		{"a changed body", hook.Secret, tampered, "now", "false"},
		{"another secret", hook.Secret + "x", b, "now", "false"},
		{"an hour later", hook.Secret, b, "late", "false"},
	} {
		file := filepath.Join(dir, "body")
		if err := os.WriteFile(file, c.body, 0o600); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(bin, c.secret, h, file, c.when).CombinedOutput()
		if err != nil || strings.TrimSpace(string(out)) != c.want {
			t.Errorf("%s: the doc's check says %q (%v); want %s", c.name, out, err, c.want)
		}
	}
}
