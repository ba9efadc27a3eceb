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

NAME=alertmanager
READY_TIMEOUT="${AM_READY_TIMEOUT:-30}"
# shellcheck source=lib/daemon.sh
. "$ROOT/scripts/lib/daemon.sh"

start() {
  daemon_can_start AM_LISTEN || return 0
  mkdir -p "$RUN/data"
  cp "$SRC" "$CONF"
  if command -v amtool >/dev/null 2>&1; then
    amtool check-config "$CONF" >/dev/null || die "$SRC is invalid (amtool check-config)"
  fi
  log "starting on http://$LISTEN (data $RUN/data)"
  # An empty cluster.listen-address turns off the gossip cluster, which would listen on every
  # interface.
  daemon_launch \
    --config.file="$CONF" \
    --storage.path="$RUN/data" \
    --web.listen-address="$LISTEN" \
    --cluster.listen-address= \
    --log.level=warn
}

check() {
  command -v amtool >/dev/null 2>&1 || die "amtool not found: run scripts/install-tools.sh alertmanager"
  amtool check-config "$SRC"
}

case "${1:-}" in
  start) start ;;
  stop) daemon_stop ;;
  restart) daemon_stop; start ;;
  status) daemon_status ;;
  check) check ;;
  *) die "usage: $0 start|stop|restart|status|check" ;;
esac
