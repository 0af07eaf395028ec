#!/usr/bin/env bash
# services.sh — make sure PostgreSQL and Redis answer on 127.0.0.1 (installing and
# starting throwaway ones when they do not), then create the test database.
# Idempotent: safe to run when the services are already up (it then only ensures
# auth + the database). Needs root (apt-get, runuser) only when it has to install
# or start something.
# Env overrides (defaults in brackets):
#   PGPORT [5432]  REDIS_PORT [6379]  PGUSER [postgres]  PGPASSWORD [postgres]
#   DB_NAME [inbox_test]  CI_STATE_DIR [/tmp/inbox-ci]  (throwaway cluster + redis files)
# Prints export lines for DATABASE_URL / REDIS_URL on stdout; logs go to stderr.
set -euo pipefail

PGPORT="${PGPORT:-5432}"
REDIS_PORT="${REDIS_PORT:-6379}"
PGUSER="${PGUSER:-postgres}"
PGPASSWORD="${PGPASSWORD:-postgres}"
DB_NAME="${DB_NAME:-inbox_test}"
CI_STATE_DIR="${CI_STATE_DIR:-/tmp/inbox-ci}"
export PGPASSWORD PGCONNECT_TIMEOUT=3

log() { echo "[services] $*" >&2; }
die() { log "ERROR: $*"; exit 1; }
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

apt_install() {
  [ "$(id -u)" = 0 ] || die "need root to apt-get install $*"
  export DEBIAN_FRONTEND=noninteractive
  local apt=(apt-get -o DPkg::Lock::Timeout=600 -y -q)
  # Try without 'update' first (fast when lists are fresh); update+retry on failure.
  "${apt[@]}" install --no-install-recommends "$@" >&2 ||
    { "${apt[@]}" update >&2 && "${apt[@]}" install --no-install-recommends "$@" >&2; }
}

pg_bindir() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1; }

pg_tcp() { # run psql over TCP with the CI credentials
  psql -X -v ON_ERROR_STOP=1 -q -h 127.0.0.1 -p "$PGPORT" -U "$PGUSER" "$@"
}

ensure_postgres() {
  if port_open "$PGPORT"; then
    log "postgres: something already listens on 127.0.0.1:$PGPORT"
  else
    if [ -z "$(pg_bindir)" ] || ! command -v psql >/dev/null; then
      log "postgres: installing"; apt_install postgresql postgresql-client
    fi
    local bin data; bin="$(pg_bindir)"; data="$CI_STATE_DIR/pg$PGPORT"
    id postgres >/dev/null 2>&1 || die "no 'postgres' OS user (initdb refuses to run as root)"
    log "postgres: initdb throwaway cluster in $data (fsync=off, trust auth on 127.0.0.1)"
    # A stale dir from a previous run: stop whatever may still use it, then wipe it.
    [ -f "$data/postmaster.pid" ] && runuser -u postgres -- "$bin/pg_ctl" -D "$data" -m immediate -w stop >/dev/null 2>&1 || true
    rm -rf "$data"; mkdir -p "$data"; chmod 755 "$CI_STATE_DIR"; chown postgres:postgres "$data"; chmod 700 "$data"
    runuser -u postgres -- "$bin/initdb" -D "$data" -U "$PGUSER" -E UTF8 --locale=C.UTF-8 \
      --auth-local=trust --auth-host=trust --no-sync --no-instructions >"$CI_STATE_DIR/initdb-$PGPORT.log" 2>&1 ||
      { cat "$CI_STATE_DIR/initdb-$PGPORT.log" >&2; die "initdb failed"; }
    runuser -u postgres -- "$bin/pg_ctl" -D "$data" -l "$data/server.log" -w -t 60 -o \
      "-c listen_addresses=127.0.0.1 -p $PGPORT -k $data -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
      start >&2 || { tail -n 30 "$data/server.log" >&2; die "pg_ctl start failed"; }
  fi
  local i; for i in $(seq 1 100); do pg_isready -q -h 127.0.0.1 -p "$PGPORT" && break; sleep 0.1; done
  pg_isready -q -h 127.0.0.1 -p "$PGPORT" || die "postgres not ready on $PGPORT"

  # Make sure the CI credentials work over TCP. A pre-existing Debian cluster (pg_ctlcluster)
  # uses scram auth on 127.0.0.1 and the postgres role has no password: set it via peer auth.
  if ! pg_tcp -d postgres -tAc 'select 1' >/dev/null 2>&1; then
    local sock sql fixed=0
    for sock in /var/run/postgresql "$CI_STATE_DIR/pg$PGPORT"; do
      [ -S "$sock/.s.PGSQL.$PGPORT" ] || continue
      if [ "$PGUSER" = postgres ]; then sql="ALTER ROLE postgres PASSWORD '$PGPASSWORD'"
      else sql="DO \$\$BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname='$PGUSER') THEN CREATE ROLE \"$PGUSER\" LOGIN SUPERUSER; END IF; END\$\$; ALTER ROLE \"$PGUSER\" PASSWORD '$PGPASSWORD'"; fi
      runuser -u postgres -- psql -X -q -h "$sock" -p "$PGPORT" -U postgres -d postgres -c "$sql" >&2 && { fixed=1; break; }
    done
    [ "$fixed" = 1 ] && log "postgres: set password for role $PGUSER via local socket"
    pg_tcp -d postgres -tAc 'select 1' >/dev/null || die "cannot log in as $PGUSER on 127.0.0.1:$PGPORT"
  fi

  if [ "$(pg_tcp -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname='$DB_NAME'")" != 1 ]; then
    # Tolerate a concurrent creator (duplicate_database).
    pg_tcp -d postgres -c "CREATE DATABASE \"$DB_NAME\"" 2>/dev/null ||
      [ "$(pg_tcp -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname='$DB_NAME'")" = 1 ] ||
      die "CREATE DATABASE $DB_NAME failed"
    log "postgres: created database $DB_NAME"
  else
    log "postgres: database $DB_NAME already exists"
  fi
}

redis_ok() {
  if command -v redis-cli >/dev/null; then
    [ "$(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null)" = PONG ]
  else # no client: speak RESP over /dev/tcp
    local r
    r="$( (exec 3<>"/dev/tcp/127.0.0.1/$REDIS_PORT" && printf 'PING\r\n' >&3 && timeout 2 head -c 7 <&3) 2>/dev/null )" || return 1
    [ "${r%$'\r'}" = "+PONG" ]
  fi
}

ensure_redis() {
  if redis_ok; then log "redis: already answering on 127.0.0.1:$REDIS_PORT"; return; fi
  port_open "$REDIS_PORT" && die "port $REDIS_PORT is open but does not answer PING"
  command -v redis-server >/dev/null || { log "redis: installing"; apt_install redis-server; }
  mkdir -p "$CI_STATE_DIR/redis$REDIS_PORT"
  log "redis: starting on 127.0.0.1:$REDIS_PORT (no persistence)"
  redis-server --daemonize yes --bind 127.0.0.1 --port "$REDIS_PORT" --save '' --appendonly no \
    --dir "$CI_STATE_DIR/redis$REDIS_PORT" --pidfile "$CI_STATE_DIR/redis-$REDIS_PORT.pid" \
    --logfile "$CI_STATE_DIR/redis-$REDIS_PORT.log"
  local i; for i in $(seq 1 100); do redis_ok && break; sleep 0.05; done
  redis_ok || { tail -n 20 "$CI_STATE_DIR/redis-$REDIS_PORT.log" >&2; die "redis did not start"; }
}

mkdir -p "$CI_STATE_DIR"
ensure_postgres
ensure_redis
echo "export DATABASE_URL='postgres://$PGUSER:$PGPASSWORD@127.0.0.1:$PGPORT/$DB_NAME?sslmode=disable'"
echo "export REDIS_URL='redis://127.0.0.1:$REDIS_PORT/0'"
