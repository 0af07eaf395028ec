# smsinbox — the README's two commands, and the rest.
GO ?= go

.PHONY: run test check build image lint bench bench-quick clean screenshots

## run: start the server on a fresh machine with only Go: embedded store,
## in-process bus, demo data, Plivo simulator.
run:
	$(GO) run ./cmd/inboxd

## test: start PostgreSQL and Redis if needed, install Chromium if missing,
## then run every test.
test:
	scripts/test.sh

## check: the fast loop while working — gofmt, go vet and the short tests
## (every package's unit tests; the end-to-end server, multi-process and
## browser tests skip under -short). Under a minute, warm, on 2 cores.
## PostgreSQL and Redis tests run when the services answer, else skip.
## make test runs everything, with nothing skipped.
check: lint
	$(GO) test -short ./...

## screenshots: run the browser tests and keep the README's pictures
## (pool.png, bell.png, modal.png, claim.png, search.png, embedded.png,
## webhooks.png) in docs/screenshots/
screenshots:
	@browser="$$(scripts/chromium.sh)" && [ -n "$$browser" ] || { echo "make screenshots needs Chromium" >&2; exit 1; }; \
	CHROMIUM_PATH="$$browser" SCREENSHOTS_DIR="$(CURDIR)/docs/screenshots" $(GO) test -count=1 -run '^TestBrowser' ./cmd/inboxd/

## build: the binary, in bin/, stamped with the source revision.
build:
	$(GO) build -buildvcs=auto -o bin/inboxd ./cmd/inboxd

## image: the container image (Containerfile): inboxd built static on an
## empty base, then checked by inspection. Needs podman, or docker with its
## daemon running; IMAGE=name:tag names it (default smsinbox:latest).
image:
	scripts/image.sh

## lint: gofmt and go vet.
lint:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); exit 1; }
	$(GO) vet ./...

## bench: the benchmarks of docs/BENCHMARKS.md at full size (10,000
## sockets; S1-S5 and S2 on the embedded store; RUNS runs, the table shows
## medians). Starts PostgreSQL and Redis if needed; the JSON, logs and
## profiles go to bench-results/.
## PROFILE=1 also profiles the servers; BENCH_FLAGS go to cmd/inboxbench.
RUNS ?= 3
bench:
	scripts/bench.sh -runs $(RUNS) $(BENCH_FLAGS)

## bench-quick: the same at 2,000 sockets for 5 s per scenario.
bench-quick:
	scripts/bench.sh -quick $(BENCH_FLAGS)

clean:
	rm -rf bin data bench-results test-artifacts
