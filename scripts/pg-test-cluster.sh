#!/usr/bin/env bash
# Throwaway PostgreSQL cluster for the test suite.
#
#   scripts/pg-test-cluster.sh start   # prints the database URL on stdout
#   scripts/pg-test-cluster.sh stop    # stops the cluster and removes its directory
#   scripts/pg-test-cluster.sh url     # prints the URL (does not check the server)
#   scripts/pg-test-cluster.sh pause   # stops the server, keeping the cluster (outage tests)
#   scripts/pg-test-cluster.sh resume  # starts a paused cluster again
#
# Environment:
#   PGPORT       TCP port on 127.0.0.1 (default 55432)
#   PG_TEST_DIR  cluster directory (default /tmp/charmstore-pg-$PGPORT)
#   PG_BINDIR    PostgreSQL server binaries (default: newest /usr/lib/postgresql/*/bin)
#   PG_TEST_DB   database to create (default charmstore_test)
#
# The cluster listens only on 127.0.0.1 (plus a unix socket inside its
# directory), trusts every local connection, and runs with fsync off: it is
# for tests only. Everything but the URL is printed on stderr, so
# `url=$(scripts/pg-test-cluster.sh start)` works.
#
# initdb/postgres refuse to run as root; when run as root the server runs as
# the `postgres` system user (created if missing). Re-running `start` first
# stops and removes a stale cluster left on the same directory or port.
set -euo pipefail

PGPORT="${PGPORT:-55432}"
PG_TEST_DB="${PG_TEST_DB:-charmstore_test}"
PG_TEST_DIR="${PG_TEST_DIR:-/tmp/charmstore-pg-${PGPORT}}"
DATA_DIR="$PG_TEST_DIR/data"
SOCK_DIR="$PG_TEST_DIR/sock"
LOG_FILE="$PG_TEST_DIR/postgres.log"
URL="postgresql://postgres@127.0.0.1:${PGPORT}/${PG_TEST_DB}"

log() { echo "pg-test-cluster: $*" >&2; }
die() { log "error: $*"; exit 1; }

find_bindir() {
  if [[ -n "${PG_BINDIR:-}" ]]; then
    echo "$PG_BINDIR"
    return
  fi
  local d best=""
  # Newest major version installed by Debian's packages.
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V); do
    [[ -x "$d/initdb" && -x "$d/pg_ctl" ]] && best="$d"
  done
  if [[ -n "$best" ]]; then
    echo "$best"
    return
  fi
  local initdb
  initdb="$(command -v initdb || true)"
  [[ -n "$initdb" ]] || die "no PostgreSQL server binaries found (install postgresql-15, or set PG_BINDIR)"
  dirname "$(readlink -f "$initdb")"
}

BINDIR="$(find_bindir)"
PG_CTL="$BINDIR/pg_ctl"
INITDB="$BINDIR/initdb"
PG_ISREADY="$BINDIR/pg_isready"
[[ -x "$PG_ISREADY" ]] || PG_ISREADY="$(command -v pg_isready || true)"
PSQL="$BINDIR/psql"
[[ -x "$PSQL" ]] || PSQL="$(command -v psql || true)"

# Run a command as the user that owns the cluster.
if [[ "$(id -u)" -eq 0 ]]; then
  RUN_AS_USER=postgres
  as_owner() { (cd / && runuser -u "$RUN_AS_USER" -- "$@"); }
else
  RUN_AS_USER="$(id -un)"
  as_owner() { (cd / && "$@"); }
fi

ensure_postgres_user() {
  [[ "$(id -u)" -eq 0 ]] || return 0
  if ! id -u postgres >/dev/null 2>&1; then
    log "creating system user postgres"
    useradd --system --user-group --no-create-home --home-dir /nonexistent \
      --shell /usr/sbin/nologin postgres
  fi
}

port_answers() {
  [[ -n "$PG_ISREADY" ]] || return 1
  "$PG_ISREADY" -q -h 127.0.0.1 -p "$PGPORT" -t 2 >/dev/null 2>&1
}

# True if pid $1 is a live process (a zombie, e.g. a killed postmaster that
# nobody reaped, does not count).
alive() {
  kill -0 "$1" 2>/dev/null || return 1
  ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null
}

# Stop the postmaster whose data directory is $1, if any, then wait for it to go.
stop_data_dir() {
  local data="$1" pid
  [[ -f "$data/postmaster.pid" ]] || return 0
  pid="$(head -n1 "$data/postmaster.pid" 2>/dev/null || true)"
  if [[ -n "$pid" ]] && alive "$pid"; then
    log "stopping postgres (pid $pid) in $data"
    as_owner "$PG_CTL" -D "$data" -m fast -w -t 30 stop >&2 2>/dev/null \
      || as_owner "$PG_CTL" -D "$data" -m immediate -w -t 30 stop >&2 2>/dev/null \
      || kill -QUIT "$pid" 2>/dev/null || true
    local i
    for i in $(seq 1 100); do
      alive "$pid" || break
      sleep 0.1
    done
    if alive "$pid"; then
      log "postgres pid $pid still alive, sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      sleep 0.5
    fi
  fi
}

# Stop any cluster of ours (any charmstore-pg-* dir, or $PG_TEST_DIR) that
# holds our port, e.g. one left by a run that was killed before `stop`.
stop_stale_on_port() {
  local pidfile port data
  for pidfile in "$DATA_DIR/postmaster.pid" /tmp/charmstore-pg-*/data/postmaster.pid; do
    [[ -f "$pidfile" ]] || continue
    port="$(sed -n 4p "$pidfile" 2>/dev/null || true)"
    data="$(dirname "$pidfile")"
    if [[ "$data" == "$DATA_DIR" || "$port" == "$PGPORT" ]]; then
      stop_data_dir "$data"
      if [[ "$data" != "$DATA_DIR" ]]; then
        rm -rf "$(dirname "$data")"
      fi
    fi
  done
}

cmd_stop() {
  stop_data_dir "$DATA_DIR"
  if [[ -d "$PG_TEST_DIR" ]]; then
    rm -rf "$PG_TEST_DIR"
    log "removed $PG_TEST_DIR"
  fi
}

cmd_start() {
  [[ -x "$INITDB" && -x "$PG_CTL" ]] || die "initdb/pg_ctl not found in $BINDIR"
  [[ -n "$PSQL" ]] || die "psql not found"
  ensure_postgres_user

  stop_stale_on_port
  rm -rf "$PG_TEST_DIR"
  if port_answers; then
    die "something else already answers on 127.0.0.1:$PGPORT; stop it or set PGPORT"
  fi

  mkdir -p "$PG_TEST_DIR" "$SOCK_DIR"
  chmod 700 "$PG_TEST_DIR"
  chown -R "$RUN_AS_USER" "$PG_TEST_DIR"

  log "initdb in $DATA_DIR (binaries: $BINDIR, user: $RUN_AS_USER)"
  if ! as_owner "$INITDB" -D "$DATA_DIR" -U postgres --auth=trust --encoding=UTF8 \
      --no-locale --no-sync >"$PG_TEST_DIR/initdb.log" 2>&1; then
    cat "$PG_TEST_DIR/initdb.log" >&2
    die "initdb failed"
  fi

  cat >>"$DATA_DIR/postgresql.conf" <<EOF

# --- charmstore throwaway test cluster ---
listen_addresses = '127.0.0.1'
port = $PGPORT
unix_socket_directories = '$SOCK_DIR'
max_connections = 200
fsync = off
synchronous_commit = off
full_page_writes = off
logging_collector = off
EOF
  # Trust only local socket and loopback connections.
  cat >"$DATA_DIR/pg_hba.conf" <<'EOF'
local   all   all                 trust
host    all   all   127.0.0.1/32  trust
EOF

  log "starting postgres on 127.0.0.1:$PGPORT"
  if ! as_owner "$PG_CTL" -D "$DATA_DIR" -l "$LOG_FILE" -w -t 60 start >&2; then
    cat "$LOG_FILE" >&2 2>/dev/null || true
    die "pg_ctl start failed"
  fi

  local i ready=0
  for i in $(seq 1 60); do
    if port_answers; then ready=1; break; fi
    sleep 0.5
  done
  if [[ "$ready" -ne 1 ]]; then
    cat "$LOG_FILE" >&2 2>/dev/null || true
    die "postgres did not become ready on 127.0.0.1:$PGPORT"
  fi

  PGCONNECT_TIMEOUT=10 "$PSQL" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PGPORT" -U postgres \
    -d postgres -c "CREATE DATABASE \"$PG_TEST_DB\"" >&2 \
    || die "could not create database $PG_TEST_DB"
  log "ready: $URL"
  echo "$URL"
}

cmd_resume() {
  as_owner "$PG_CTL" -D "$DATA_DIR" -l "$LOG_FILE" -w -t 60 start >&2 || die "pg_ctl start failed"
}

case "${1:-}" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  pause) stop_data_dir "$DATA_DIR" ;;
  resume) cmd_resume ;;
  url) echo "$URL" ;;
  *)
    echo "usage: $0 start|stop|url|pause|resume" >&2
    exit 2
    ;;
esac
