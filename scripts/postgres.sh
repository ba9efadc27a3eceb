#!/usr/bin/env bash
# Runs a local PostgreSQL for the calculator's shared outbox (CALCULATOR_OUTBOX=postgres) on
# 127.0.0.1:5432, with a database and a role both named distsum (trust authentication on
# loopback: a development server, not a production one).
#
#   scripts/postgres.sh start    # install Debian's postgresql if missing, initdb once, start, wait
#   scripts/postgres.sh stop     # fast shutdown of the server started here
#   scripts/postgres.sh status   # running or not
#   scripts/postgres.sh env      # the calculator settings for it: eval "$(scripts/postgres.sh env)"
#
# Settings:
#   PG_PORT      5432
#   PG_RUN_DIR   .run/postgres   (data/, postgres.log, the socket)
#   PG_DB        distsum         (database and role)
#   PG_OS_USER   postgres        (initdb and postgres refuse root: as root they run as this user)
#   PG_BIN       Debian's /usr/lib/postgresql/<version>/bin
# Every step is idempotent: start on a running server only reports it.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RUN="${PG_RUN_DIR:-$ROOT/.run/postgres}"
PORT="${PG_PORT:-5432}"
DB="${PG_DB:-distsum}"
OS_USER="${PG_OS_USER:-postgres}"
DATA="$RUN/data"
LOG="$RUN/postgres.log"

log() { printf 'postgres.sh: %s\n' "$*"; }
die() { printf 'postgres.sh: %s\n' "$*" >&2; exit 1; }

pg_bin() {
  if [[ -n "${PG_BIN:-}" ]]; then echo "$PG_BIN"; return; fi
  local d
  d="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)"
  [[ -n "$d" && -x "$d/postgres" ]] || return 1
  echo "$d"
}

url() { echo "postgres://$DB@127.0.0.1:$PORT/$DB?sslmode=disable"; }

# as_pg runs a command as the server's user (root cannot run initdb/postgres).
as_pg() {
  if [[ $EUID -eq 0 ]]; then
    runuser -u "$OS_USER" -- "$@"
  else
    "$@"
  fi
}

ensure_installed() {
  pg_bin >/dev/null && return 0
  log "PostgreSQL server not found: installing Debian's postgresql"
  "$ROOT/scripts/install-tools.sh" postgres
  pg_bin >/dev/null || die "postgres still not found after the install (set PG_BIN)"
}

running() { [[ -f "$DATA/PG_VERSION" ]] && as_pg "$(pg_bin)/pg_ctl" -D "$DATA" status >/dev/null 2>&1; }

start() {
  ensure_installed
  local bin
  bin="$(pg_bin)"
  if running; then
    log "already running on 127.0.0.1:$PORT (data $DATA); $(url)"
    return 0
  fi
  if "$bin/pg_isready" -q -h 127.0.0.1 -p "$PORT" 2>/dev/null; then
    die "something else already answers on 127.0.0.1:$PORT; stop it or set PG_PORT"
  fi
  mkdir -p "$RUN"
  if [[ $EUID -eq 0 ]]; then
    id "$OS_USER" >/dev/null 2>&1 || die "no '$OS_USER' user to run the server as (set PG_OS_USER)"
    chown "$OS_USER": "$RUN"
  fi
  if [[ ! -f "$DATA/PG_VERSION" ]]; then
    log "initdb $DATA"
    as_pg "$bin/initdb" -D "$DATA" -U postgres --auth=trust -E UTF8 >/dev/null
  fi
  log "starting on 127.0.0.1:$PORT (data $DATA, log $LOG)"
  as_pg "$bin/pg_ctl" -D "$DATA" -l "$LOG" -w -t 60 \
    -o "-p $PORT -c listen_addresses=127.0.0.1 -k $RUN" start >/dev/null ||
    { tail -n 20 "$LOG" >&2 || true; die "postgres did not start (log: $LOG)"; }
  local psql=("$bin/psql" -h 127.0.0.1 -p "$PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 -qAt)
  if [[ "$("${psql[@]}" -c "SELECT 1 FROM pg_roles WHERE rolname = '$DB'")" != 1 ]]; then
    "${psql[@]}" -c "CREATE ROLE $DB LOGIN"
  fi
  if [[ "$("${psql[@]}" -c "SELECT 1 FROM pg_database WHERE datname = '$DB'")" != 1 ]]; then
    "${psql[@]}" -c "CREATE DATABASE $DB OWNER $DB"
  fi
  log "ready: $(url)"
}

stop() {
  if ! pg_bin >/dev/null || ! running; then
    log "not running"
    return 0
  fi
  as_pg "$(pg_bin)/pg_ctl" -D "$DATA" -m fast -w stop >/dev/null
  log "stopped"
}

status() {
  if pg_bin >/dev/null && running; then
    log "running on 127.0.0.1:$PORT (data $DATA); $(url)"
  else
    log "not running"
    return 3
  fi
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  restart) stop; start ;;
  status) status ;;
  env) printf 'export CALCULATOR_OUTBOX=postgres\nexport CALCULATOR_POSTGRES_URL=%q\n' "$(url)" ;;
  *) die "usage: $0 start|stop|restart|status|env" ;;
esac
