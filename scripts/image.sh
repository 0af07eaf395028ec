#!/usr/bin/env bash
# image.sh — what `make image` runs, and the image check of scripts/test.sh:
#  1. builds inboxd static (CGO_ENABLED=0, -trimpath) into a fresh build
#     context with the host's CA bundle and a passwd/group naming the
#     non-root user inboxd (65532);
#  2. builds the Containerfile with podman, or with docker when its daemon
#     answers — no registry is needed, the base is `scratch`;
#  3. checks the image without running it (containers cannot run on every
#     machine that can build them): user, entrypoint, exposed port,
#     environment, volume, no HEALTHCHECK, and — through `create` + `export` —
#     that /inboxd, the CA bundle, /etc/passwd and /data (owned by 65532) are
#     in it.
# `scripts/image.sh engine` only prints the engine that would build (exit 1
# when there is none). IMAGE names the image (default smsinbox:latest).
set -euo pipefail
cd "$(dirname "$0")/.."
log() { echo "[image] $*" >&2; }
fail() { echo "[image] FAIL: $*" >&2; exit 1; }

engine() {
  if command -v podman >/dev/null 2>&1 && podman info >/dev/null 2>&1; then
    echo podman
  elif command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; then
    echo docker
  else
    return 1
  fi
}

if [ "${1:-}" = engine ]; then
  engine
  exit
fi
engine="$(engine)" || fail "no podman, and no docker whose daemon answers"
image="${IMAGE:-smsinbox:latest}"
uid=65532

ctx="$(mktemp -d "${TMPDIR:-/tmp}/inboxd-image.XXXXXX")"
container=""
cleanup() {
  [ -z "$container" ] || "$engine" rm -f "$container" >/dev/null 2>&1 || true
  rm -rf "$ctx"
}
trap cleanup EXIT

# 1. The build context.
vcs=-buildvcs=false
revision=unknown
if git rev-parse --git-dir >/dev/null 2>&1; then
  # Record the commit (and whether the tree is dirty) in the binary, even
  # where GOFLAGS says -buildvcs=false.
  vcs=-buildvcs=true
  revision="$(git rev-parse HEAD)"
fi
log "building inboxd (CGO_ENABLED=0)"
CGO_ENABLED=0 go build "$vcs" -trimpath -ldflags='-s -w' -o "$ctx/inboxd" ./cmd/inboxd
grep -q 'CGO_ENABLED=0' <<<"$(go version -m "$ctx/inboxd")" || fail "inboxd was not built with CGO_ENABLED=0"
# The release being made: the newest version heading of CHANGELOG.md.
version="$(sed -nE 's/^## \[([0-9][^]]*)\].*/v\1/p' CHANGELOG.md | head -n1 || true)"

for ca in /etc/ssl/certs/ca-certificates.crt /etc/pki/tls/certs/ca-bundle.crt /etc/ssl/cert.pem; do
  [ -s "$ca" ] && { cp "$ca" "$ctx/ca-certificates.crt"; break; }
done
[ -s "$ctx/ca-certificates.crt" ] || fail "no CA bundle on this machine (install ca-certificates)"
printf 'root:x:0:0:root:/root:/sbin/nologin\ninboxd:x:%d:%d:inboxd:/data:/sbin/nologin\n' "$uid" "$uid" >"$ctx/passwd"
printf 'root:x:0:\ninboxd:x:%d:\n' "$uid" >"$ctx/group"
mkdir "$ctx/empty"
cp Containerfile "$ctx/Containerfile"

# 2. The image. The one it replaces is removed unless something else uses it,
# so repeated checks do not pile up layers.
old="$("$engine" image inspect --format '{{.Id}}' "$image" 2>/dev/null || true)"
log "building $image with $engine"
layers=()
[ "$engine" = podman ] && layers=(--layers=false) # no intermediate images left behind
"$engine" build -q "${layers[@]}" -f "$ctx/Containerfile" -t "$image" \
  --build-arg VERSION="${version:-dev}" --build-arg REVISION="$revision" "$ctx" >/dev/null
new="$("$engine" image inspect --format '{{.Id}}' "$image")"
if [ -n "$old" ] && [ "$old" != "$new" ]; then
  "$engine" rmi "$old" >/dev/null 2>&1 || true
fi

# 3. The checks.
inspect() { "$engine" image inspect --format "$1" "$image"; }
expect() { # what, got, want
  [ "$2" = "$3" ] || fail "$1: got $2, want $3"
}
expect user "$(inspect '{{.Config.User}}')" "$uid:$uid"
expect entrypoint "$(inspect '{{json .Config.Entrypoint}}')" '["/inboxd"]'
expect "exposed ports" "$(inspect '{{json .Config.ExposedPorts}}')" '{"8080/tcp":{}}'
expect volumes "$(inspect '{{json .Config.Volumes}}')" '{"/data":{}}'
env="$(inspect '{{range .Config.Env}}{{println .}}{{end}}')"
for want in INBOX_ADDR=0.0.0.0:8080 INBOX_DATA_DIR=/data; do
  grep -qx "$want" <<<"$env" || fail "environment: got $(tr '\n' ' ' <<<"$env"), want $want"
done
healthcheck="$(inspect '{{json .Config.Healthcheck}}' 2>/dev/null || echo null)"
case "$healthcheck" in null | "" | "<no value>") ;; *) fail "HEALTHCHECK: got $healthcheck, want none (orchestrators probe /healthz and /readyz)" ;; esac

container="$("$engine" create "$image")"
listing="$("$engine" export "$container" | tar -tvf - --numeric-owner)"
has() { # path in the image, the owner it must have ("" for any)
  local line
  line="$(awk -v p="$1" '$NF == p || $NF == p"/" { print; exit }' <<<"$listing")"
  [ -n "$line" ] || fail "the image has no /$1; it has: $(awk '{print $NF}' <<<"$listing" | tr '\n' ' ')"
  [ -z "$2" ] || [ "$(awk '{print $2}' <<<"$line")" = "$2" ] || fail "/$1 is owned by $(awk '{print $2}' <<<"$line"), want $2"
}
has inboxd ""
has etc/ssl/certs/ca-certificates.crt ""
has etc/passwd ""
has data "$uid/$uid"
has tmp "$uid/$uid"
"$engine" export "$container" | tar -xOf - etc/passwd | grep -q "^inboxd:x:$uid:$uid:" ||
  fail "/etc/passwd does not name the user $uid"

size="$(inspect '{{.Size}}')"
log "ok: $image ($((size / 1024 / 1024)) MiB), user $uid, entrypoint /inboxd, port 8080, volume /data, ${version:-dev} at ${revision:0:12}"
