#!/usr/bin/env bash
# test.sh — what `make test` runs: every set-up step, then every test.
#  1. PostgreSQL and Redis answer on 127.0.0.1 (started when they do not),
#  2. Chromium is installed (installed when missing and possible),
#  3. gofmt and go vet are clean,
#  4. the container image builds and is what it should be (scripts/image.sh),
#     where podman or docker can build; elsewhere it is skipped, saying so,
#     even under CI=true (the project needs neither to build or run),
#  5. every Go test runs with the race detector (unit, store contract on SQLite
#     and PostgreSQL, bus contract on Memory and Redis, end-to-end server,
#     multi-instance and browser tests), then each fuzz target briefly.
# Under CI=true nothing is skipped for a missing service or browser.
set -euo pipefail
cd "$(dirname "$0")/.."

eval "$(scripts/services.sh)"
export DATABASE_URL REDIS_URL
if browser="$(scripts/chromium.sh)" && [ -n "$browser" ]; then
  export CHROMIUM_PATH="$browser"
fi

unformatted="$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))"
if [ -n "$unformatted" ]; then
  echo "gofmt would change:" >&2; echo "$unformatted" >&2; exit 1
fi
go vet ./...

if scripts/image.sh engine >/dev/null; then
  scripts/image.sh
else
  echo "image check skipped: no podman or docker that can build"
fi

go test -race -count=1 -timeout 20m ./...

# Each fuzz target for a few seconds beyond its seed corpus (which the run
# above already checked).
for target in $(grep -rhoE '^func Fuzz[A-Za-z0-9_]+' --include='*_test.go' pkg cmd | sed 's/^func //' | sort -u); do
  pkg="$(grep -rlE "^func ${target}\(" --include='*_test.go' pkg cmd | head -n1 | xargs dirname)"
  # Go's fuzzer can end a short run with "context deadline exceeded" when a
  # worker is slow to stop on a loaded machine, with no failing input: that
  # run is tried once more. A real failure names its input and is not.
  fuzz() { go test -run='^$' -fuzz="^${target}\$" -fuzztime="${FUZZTIME:-3s}" "./${pkg}" >"${out}" 2>&1; }
  out="$(mktemp)"
  if ! fuzz; then
    if grep -q 'context deadline exceeded' "${out}" && ! grep -q 'Failing input written' "${out}"; then
      echo "fuzzing ${target}: the fuzzer timed out stopping, with no failing input; once more" >&2
      fuzz || { cat "${out}" >&2; echo "fuzzing ${target} in ${pkg} failed; rerun: go test -run='^\$' -fuzz=^${target}\$ ./${pkg}" >&2; exit 1; }
    else
      cat "${out}" >&2
      echo "fuzzing ${target} in ${pkg} failed; rerun: go test -run='^\$' -fuzz=^${target}\$ ./${pkg}" >&2
      exit 1
    fi
  fi
  rm -f "${out}"
done
echo "make test: all passed"
