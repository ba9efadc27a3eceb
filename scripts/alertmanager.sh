#!/usr/bin/env bash
# Runs Alertmanager for the Distributed Sum System on 127.0.0.1:9096 (not its usual 9093: that is
# the Kafka controller's port of scripts/kafka.sh); Prometheus (scripts/prometheus.sh) sends it the
# alerts of observability/prometheus/alerts.yml.
#
#   scripts/alertmanager.sh start    # start in the background, wait for /-/ready
#   scripts/alertmanager.sh stop     # stop the instance started here (pid file)
#   scripts/alertmanager.sh status   # running or not
#   scripts/alertmanager.sh check    # amtool check-config
#
# Configuration: observability/alertmanager/alertmanager.yml (copied into the run directory).
#   AM_LISTEN          127.0.0.1:9096
#   AM_RUN_DIR         .run/alertmanager   (data, log, pid, config)
#   ALERTMANAGER_BIN   prometheus-alertmanager (Debian's package: scripts/install-tools.sh alertmanager)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SRC="$ROOT/observability/alertmanager/alertmanager.yml"
RUN="${AM_RUN_DIR:-$ROOT/.run/alertmanager}"
LISTEN="${AM_LISTEN:-127.0.0.1:9096}"
BIN="${ALERTMANAGER_BIN:-prometheus-alertmanager}"
PIDFILE="$RUN/alertmanager.pid"
LOG="$RUN/alertmanager.log"
CONF="$RUN/alertmanager.yml"

log() { printf 'alertmanager.sh: %s\n' "$*"; }
die() { printf 'alertmanager.sh: %s\n' "$*" >&2; exit 1; }

running_pid() {
  [[ -f "$PIDFILE" ]] || return 1
  local pid
  pid="$(cat "$PIDFILE")"
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || return 1
  # Make sure the pid still belongs to an alertmanager process (pids get reused).
  grep -q alertmanager "/proc/$pid/cmdline" 2>/dev/null || return 1
  echo "$pid"
}

wait_ready() {
  local deadline=$((SECONDS + ${AM_READY_TIMEOUT:-30}))
  until curl -fsS "http://$LISTEN/-/ready" >/dev/null 2>&1; do
    if ! running_pid >/dev/null; then
      tail -n 20 "$LOG" >&2 || true
      die "alertmanager exited during start-up (log: $LOG)"
    fi
    ((SECONDS < deadline)) || die "alertmanager not ready on $LISTEN after ${AM_READY_TIMEOUT:-30}s (log: $LOG)"
    sleep 0.3
  done
}

start() {
  command -v "$BIN" >/dev/null 2>&1 || die "'$BIN' not found: run scripts/install-tools.sh alertmanager"
  local pid
  if pid="$(running_pid)"; then
    log "already running (pid $pid) on http://$LISTEN"
    return 0
  fi
  if curl -fsS "http://$LISTEN/-/ready" >/dev/null 2>&1; then
    die "something else already answers on $LISTEN; stop it or set AM_LISTEN"
  fi
  mkdir -p "$RUN/data"
  cp "$SRC" "$CONF"
  if command -v amtool >/dev/null 2>&1; then
    amtool check-config "$CONF" >/dev/null || die "$SRC is invalid (amtool check-config)"
  fi
  log "starting on http://$LISTEN (data $RUN/data)"
  # setsid: its own session, so the caller's terminal signals do not reach it. An empty
  # cluster.listen-address turns off the gossip cluster, which would listen on every interface.
  setsid "$BIN" \
    --config.file="$CONF" \
    --storage.path="$RUN/data" \
    --web.listen-address="$LISTEN" \
    --cluster.listen-address= \
    --log.level=warn \
    >>"$LOG" 2>&1 </dev/null &
  echo $! >"$PIDFILE"
  wait_ready
  log "ready (pid $(cat "$PIDFILE")): http://$LISTEN  log: $LOG"
}

stop() {
  local pid
  if ! pid="$(running_pid)"; then
    log "not running"
    rm -f "$PIDFILE"
    return 0
  fi
  kill -TERM "$pid"
  local deadline=$((SECONDS + 20))
  while kill -0 "$pid" 2>/dev/null; do
    if ((SECONDS >= deadline)); then
      log "pid $pid did not stop in 20s: SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      break
    fi
    sleep 0.2
  done
  rm -f "$PIDFILE"
  log "stopped (pid $pid)"
}

status() {
  local pid
  if pid="$(running_pid)"; then
    log "running (pid $pid) on http://$LISTEN"
  else
    log "not running"
    return 3
  fi
}

check() {
  command -v amtool >/dev/null 2>&1 || die "amtool not found: run scripts/install-tools.sh alertmanager"
  amtool check-config "$SRC"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  restart) stop; start ;;
  status) status ;;
  check) check ;;
  *) die "usage: $0 start|stop|restart|status|check" ;;
esac
