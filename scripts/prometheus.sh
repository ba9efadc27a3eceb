#!/usr/bin/env bash
# Runs Prometheus for the Distributed Sum System on 127.0.0.1:9095 (9090 is the calculator's gRPC).
#
#   scripts/prometheus.sh start    # start in the background, wait for /-/ready
#   scripts/prometheus.sh stop     # stop the instance started here (pid file)
#   scripts/prometheus.sh status   # running or not
#   scripts/prometheus.sh check    # promtool: config, rules, rule unit tests
#
# Configuration: observability/prometheus/prometheus.yml + alerts.yml, rendered into .run/prometheus
# with these overrides (defaults are the ports of `make up`):
#   PROM_LISTEN             127.0.0.1:9095
#   PROM_CALCULATOR_TARGET  127.0.0.1:8081   (calculator /metrics, job "calculator")
#   PROM_TOTALS_TARGET      127.0.0.1:8080   (totals /metrics, job "totals")
#   PROM_ALERTMANAGER_TARGET 127.0.0.1:9096  (where alerts go: scripts/alertmanager.sh)
#   PROM_RUN_DIR            .run/prometheus  (data, log, pid, rendered config)
#   PROMETHEUS_BIN          prometheus       (Debian's package: scripts/install-tools.sh prometheus)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SRC="$ROOT/observability/prometheus"
RUN="${PROM_RUN_DIR:-$ROOT/.run/prometheus}"
LISTEN="${PROM_LISTEN:-127.0.0.1:9095}"
CALC="${PROM_CALCULATOR_TARGET:-127.0.0.1:8081}"
TOTALS="${PROM_TOTALS_TARGET:-127.0.0.1:8080}"
ALERTMANAGER="${PROM_ALERTMANAGER_TARGET:-127.0.0.1:9096}"
BIN="${PROMETHEUS_BIN:-prometheus}"
PIDFILE="$RUN/prometheus.pid"
LOG="$RUN/prometheus.log"
CONF="$RUN/prometheus.yml"

log() { printf 'prometheus.sh: %s\n' "$*"; }
die() { printf 'prometheus.sh: %s\n' "$*" >&2; exit 1; }

running_pid() {
  [[ -f "$PIDFILE" ]] || return 1
  local pid
  pid="$(cat "$PIDFILE")"
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || return 1
  # Make sure the pid still belongs to a prometheus process (pids get reused).
  grep -q prometheus "/proc/$pid/cmdline" 2>/dev/null || return 1
  echo "$pid"
}

render() {
  mkdir -p "$RUN/data"
  # The self-scrape, the two services and the Alertmanager; rule file copied beside the rendered config so the
  # relative rule_files path keeps working.
  sed -e "s|\"127.0.0.1:8081\"|\"$CALC\"|" \
      -e "s|\"127.0.0.1:8080\"|\"$TOTALS\"|" \
      -e "s|\"127.0.0.1:9095\"|\"$LISTEN\"|" \
      -e "s|\"127.0.0.1:9096\"|\"$ALERTMANAGER\"|" \
      "$SRC/prometheus.yml" >"$CONF.tmp"
  cp "$SRC/alerts.yml" "$RUN/alerts.yml"
  mv "$CONF.tmp" "$CONF"
  if command -v promtool >/dev/null 2>&1; then
    promtool check config "$CONF" >/dev/null || die "rendered config $CONF is invalid"
  fi
}

wait_ready() {
  local deadline=$((SECONDS + ${PROM_READY_TIMEOUT:-60}))
  until curl -fsS "http://$LISTEN/-/ready" >/dev/null 2>&1; do
    if ! running_pid >/dev/null; then
      tail -n 20 "$LOG" >&2 || true
      die "prometheus exited during start-up (log: $LOG)"
    fi
    ((SECONDS < deadline)) || die "prometheus not ready on $LISTEN after ${PROM_READY_TIMEOUT:-60}s (log: $LOG)"
    sleep 0.3
  done
}

start() {
  command -v "$BIN" >/dev/null 2>&1 || die "'$BIN' not found: run scripts/install-tools.sh prometheus"
  local pid
  if pid="$(running_pid)"; then
    log "already running (pid $pid) on http://$LISTEN"
    return 0
  fi
  if curl -fsS "http://$LISTEN/-/ready" >/dev/null 2>&1; then
    die "something else already answers on $LISTEN; stop it or set PROM_LISTEN"
  fi
  render
  log "starting on http://$LISTEN (calculator=$CALC totals=$TOTALS alertmanager=$ALERTMANAGER, data $RUN/data)"
  # setsid: its own session, so the caller's terminal signals do not reach it.
  setsid "$BIN" \
    --config.file="$CONF" \
    --storage.tsdb.path="$RUN/data" \
    --storage.tsdb.retention.time=2d \
    --web.listen-address="$LISTEN" \
    --web.enable-lifecycle \
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
  command -v promtool >/dev/null 2>&1 || die "promtool not found: run scripts/install-tools.sh prometheus"
  promtool check config "$SRC/prometheus.yml"
  promtool check rules "$SRC/alerts.yml"
  (cd "$SRC" && promtool test rules alerts_test.yml)
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  restart) stop; start ;;
  status) status ;;
  check) check ;;
  *) die "usage: $0 start|stop|restart|status|check" ;;
esac
