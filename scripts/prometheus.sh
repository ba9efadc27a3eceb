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
#   PROM_TOTALS_TARGET      127.0.0.1:8083   (totals /metrics on its ops address, job "totals")
#   PROM_ALERTMANAGER_TARGET 127.0.0.1:9096  (where alerts go: scripts/alertmanager.sh)
#   PROM_RUN_DIR            .run/prometheus  (data, log, pid, rendered config)
#   PROMETHEUS_BIN          prometheus       (Debian's package: scripts/install-tools.sh prometheus)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SRC="$ROOT/observability/prometheus"
RUN="${PROM_RUN_DIR:-$ROOT/.run/prometheus}"
LISTEN="${PROM_LISTEN:-127.0.0.1:9095}"
CALC="${PROM_CALCULATOR_TARGET:-127.0.0.1:8081}"
TOTALS="${PROM_TOTALS_TARGET:-127.0.0.1:8083}"
ALERTMANAGER="${PROM_ALERTMANAGER_TARGET:-127.0.0.1:9096}"
BIN="${PROMETHEUS_BIN:-prometheus}"
PIDFILE="$RUN/prometheus.pid"
LOG="$RUN/prometheus.log"
CONF="$RUN/prometheus.yml"

NAME=prometheus
READY_TIMEOUT="${PROM_READY_TIMEOUT:-60}"
# shellcheck source=lib/daemon.sh
. "$ROOT/scripts/lib/daemon.sh"

render() {
  mkdir -p "$RUN/data"
  # The self-scrape, the two services and the Alertmanager; rule file copied beside the rendered config so the
  # relative rule_files path keeps working.
  sed -e "s|\"127.0.0.1:8081\"|\"$CALC\"|" \
      -e "s|\"127.0.0.1:8083\"|\"$TOTALS\"|" \
      -e "s|\"127.0.0.1:9095\"|\"$LISTEN\"|" \
      -e "s|\"127.0.0.1:9096\"|\"$ALERTMANAGER\"|" \
      "$SRC/prometheus.yml" >"$CONF.tmp"
  cp "$SRC/alerts.yml" "$RUN/alerts.yml"
  mv "$CONF.tmp" "$CONF"
  if command -v promtool >/dev/null 2>&1; then
    promtool check config "$CONF" >/dev/null || die "rendered config $CONF is invalid"
  fi
}

start() {
  daemon_can_start PROM_LISTEN || return 0
  render
  log "starting on http://$LISTEN (calculator=$CALC totals=$TOTALS alertmanager=$ALERTMANAGER, data $RUN/data)"
  daemon_launch \
    --config.file="$CONF" \
    --storage.tsdb.path="$RUN/data" \
    --storage.tsdb.retention.time=2d \
    --web.listen-address="$LISTEN" \
    --web.enable-lifecycle \
    --log.level=warn
}

check() {
  command -v promtool >/dev/null 2>&1 || die "promtool not found: run scripts/install-tools.sh prometheus"
  promtool check config "$SRC/prometheus.yml"
  promtool check rules "$SRC/alerts.yml"
  (cd "$SRC" && promtool test rules alerts_test.yml)
}

case "${1:-}" in
  start) start ;;
  stop) daemon_stop ;;
  restart) daemon_stop; start ;;
  status) daemon_status ;;
  check) check ;;
  *) die "usage: $0 start|stop|restart|status|check" ;;
esac
