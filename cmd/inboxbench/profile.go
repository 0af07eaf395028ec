package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// Profiles come from a server built with testdata/pprofhook.go.txt (see
// scripts/bench.sh): it serves net/http/pprof on INBOX_PPROF_ADDR.

// startProfiles takes a CPU profile and, with allocs, an allocation profile
// (the delta over the window) of every server over the next d, in the
// background; the function it returns waits for them and lists the files
// written.
func (s *session) startProfiles(ctx context.Context, scenario string, d time.Duration, allocs bool) func() []string {
	secs := max(int(d.Seconds())-1, 1)
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		files []string
	)
	for i, inst := range s.st.insts {
		if inst.pprof == "" {
			continue
		}
		for kind, path := range map[string]string{"cpu": "profile", "allocs": "allocs"} {
			if kind == "allocs" && !allocs {
				continue
			}
			wg.Go(func() {
				f, err := s.fetchProfile(ctx, inst, fmt.Sprintf("/debug/pprof/%s?seconds=%d", path, secs), scenario, i, kind, d+time.Minute)
				if err != nil {
					logf("%s: %s profile: %v", s.name, kind, err)
					return
				}
				mu.Lock()
				files = append(files, f)
				mu.Unlock()
			})
		}
	}
	return func() []string { wg.Wait(); return files }
}

// snapshotProfiles saves one profile (heap, goroutine) of every server now.
func (s *session) snapshotProfiles(ctx context.Context, label, path string) []string {
	var files []string
	for i, inst := range s.st.insts {
		if inst.pprof == "" {
			continue
		}
		f, err := s.fetchProfile(ctx, inst, "/debug/pprof/"+path, "idle", i, label, time.Minute)
		if err != nil {
			logf("%s: %s profile: %v", s.name, label, err)
			continue
		}
		files = append(files, f)
	}
	return files
}

func (s *session) fetchProfile(ctx context.Context, inst *instance, path, scenario string, i int, kind string, timeout time.Duration) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, inst.pprof+path, nil)
	if err != nil {
		return "", err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("GET %s: %s", path, resp.Status)
	}
	name := filepath.Join(s.o.profileDir, fmt.Sprintf("%s-%s-%s-run%d-i%d-%s.pb.gz", s.o.stamp, s.name, scenario, s.run, i, kind))
	f, err := os.Create(name)
	if err != nil {
		return "", err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return "", err
	}
	return name, f.Close()
}
