#!/usr/bin/env bash
# bench.sh — what `make bench` and `make bench-quick` run (docs/BENCHMARKS.md):
#  1. PostgreSQL and Redis answer on 127.0.0.1 (scripts/services.sh starts
#     them when they do not);
#  2. inboxd and the load client cmd/inboxbench are built into a temporary
#     folder: inboxd from the working tree, or with REV=<commit> from that
#     commit exported by git archive (the numbers then belong to a commit,
#     whatever is uncommitted here); with PROFILE=1 inboxd is built with a
#     net/http/pprof listener added at build time (go build -overlay; the
#     source tree is not touched);
#  3. the open-file limit is raised to the hard limit: 10,000 sockets need
#     about 10,000 descriptors in the server and as many in the client;
#  4. cmd/inboxbench runs the scenarios. It creates a fresh PostgreSQL
#     database (and Redis prefix) per scenario and drops it afterwards,
#     starts the servers as separate processes, creates the company with
#     `inboxd admin create` and the API, and prints one table; the JSON,
#     the servers' logs and any profiles go to bench-results/.
# Arguments go to inboxbench: -quick, -runs 3, -scenarios s2,s5, -conns 5000,
# -duration 30s, … (`go run ./cmd/inboxbench -h` lists them).
set -euo pipefail
cd "$(dirname "$0")/.."

eval "$(scripts/services.sh)"
export DATABASE_URL REDIS_URL

bin="$(mktemp -d "${TMPDIR:-/tmp}/inboxbench-bin.XXXXXX")"
trap 'rm -rf "$bin"' EXIT
go build -o "$bin/inboxbench" ./cmd/inboxbench
src="$PWD"
# A build from the working tree records its commit and whether the tree was
# dirty, even where GOFLAGS says -buildvcs=false; an exported tree has no VCS.
vcs=-buildvcs=true
if [ -n "${REV:-}" ]; then
  vcs=-buildvcs=false
  rev="$(git rev-parse --verify "$REV^{commit}")"
  src="$bin/src"
  mkdir -p "$src"
  git archive "$rev" | tar -x -C "$src"
  set -- -revision "$rev" "$@"
fi
if [ "${PROFILE:-0}" = 1 ]; then
  printf '{"Replace":{"%s":"%s"}}\n' "$src/cmd/inboxd/zz_bench_pprof.go" \
    "$PWD/cmd/inboxbench/testdata/pprofhook.go.txt" >"$bin/overlay.json"
  (cd "$src" && go build $vcs -overlay "$bin/overlay.json" -o "$bin/inboxd" ./cmd/inboxd)
  set -- -pprof "$@"
else
  (cd "$src" && go build $vcs -o "$bin/inboxd" ./cmd/inboxd)
fi

# The servers inherit this shell's limit; inboxbench raises its own too.
hard="$(ulimit -Hn)"
if [ "$hard" != unlimited ] && [ "$hard" -lt 20000 ]; then
  ulimit -Hn 20000 2>/dev/null && hard=20000 ||
    echo "bench: the hard open-file limit is $hard; 10,000 sockets need about 11,000 per process (try -conns $((hard / 2)))" >&2
fi
ulimit -n "$hard" 2>/dev/null || ulimit -n 1048576

"$bin/inboxbench" -inboxd "$bin/inboxd" -database-url "$DATABASE_URL" -redis-url "$REDIS_URL" "$@"
