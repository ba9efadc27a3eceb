#!/usr/bin/env bash
# Builds and runs the calculator and totals services in the background for `make up`.
#
#   scripts/services.sh start [calculator|totals]   build (go build) and start, wait for /readyz
#   scripts/services.sh stop  [calculator|totals]   SIGTERM (graceful), SIGKILL after 30 s
#   scripts/services.sh status
#
# State under .run/: binaries in .run/bin, data in .run/data/<service>, logs in
# .run/logs/<service>.log, pids in .run/<service>.pid. Settings come from the
# services' environment variables (see README), defaults as in the README.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RUN="$ROOT/.run"
mkdir -p "$RUN/bin" "$RUN/logs" "$RUN/data"
log() { printf 'services: %s\n' "$*" >&2; }

ready_url() {
  case "$1" in
    calculator) echo "http://127.0.0.1:${CALCULATOR_HTTP_ADDR:-:8081}" | sed 's|http://127.0.0.1:\(.*\):|http://\1:|; s|http://:|http://127.0.0.1:|' ;;
    totals) echo "http://127.0.0.1:${TOTALS_HTTP_ADDR:-:8080}" | sed 's|http://127.0.0.1:\(.*\):|http://\1:|; s|http://:|http://127.0.0.1:|' ;;
  esac
}

pid_of() {
  local f="$RUN/$1.pid" pid
  [[ -f "$f" ]] || return 0
  pid=$(cat "$f")
  if [[ -r /proc/$pid/cmdline ]] && tr '\0' ' ' < "/proc/$pid/cmdline" | grep -q "$RUN/bin/$1"; then
    echo "$pid"
  fi
}

build() {
  log "building calculator and totals"
  (cd "$ROOT" && CGO_ENABLED=0 go build -o "$RUN/bin/" ./services/calculator ./services/totals)
}

start_one() {
  local svc=$1 pid url
  pid=$(pid_of "$svc")
  if [[ -n "$pid" ]]; then
    log "$svc already running (pid $pid)"
    return 0
  fi
  case "$svc" in
    calculator) export CALCULATOR_DATA_DIR="${CALCULATOR_DATA_DIR:-$RUN/data/calculator}" ;;
    totals) export TOTALS_DATA_DIR="${TOTALS_DATA_DIR:-$RUN/data/totals}" ;;
  esac
  nohup "$RUN/bin/$svc" >>"$RUN/logs/$svc.log" 2>&1 &
  echo $! >"$RUN/$svc.pid"
  url="$(ready_url "$svc")/readyz"
  for _ in $(seq 1 600); do
    if curl -fsS -o /dev/null "$url" 2>/dev/null; then
      log "$svc ready (pid $(cat "$RUN/$svc.pid"), $url)"
      return 0
    fi
    if [[ -z "$(pid_of "$svc")" ]]; then
      log "$svc exited; last log lines:"
      tail -n 20 "$RUN/logs/$svc.log" >&2
      return 1
    fi
    sleep 0.1
  done
  log "$svc not ready after 60 s; see $RUN/logs/$svc.log"
  return 1
}

stop_one() {
  local svc=$1 pid
  pid=$(pid_of "$svc")
  if [[ -z "$pid" ]]; then
    rm -f "$RUN/$svc.pid"
    return 0
  fi
  kill -TERM "$pid"
  for _ in $(seq 1 300); do
    [[ -z "$(pid_of "$svc")" ]] && break
    sleep 0.1
  done
  if [[ -n "$(pid_of "$svc")" ]]; then
    log "$svc did not stop in 30 s; killing"
    kill -KILL "$pid" || true
  fi
  rm -f "$RUN/$svc.pid"
  log "$svc stopped"
}

cmd=${1:-status}
shift || true
targets=("$@")
[[ ${#targets[@]} -gt 0 ]] || targets=(calculator totals)
case "$cmd" in
  start) build; for s in "${targets[@]}"; do start_one "$s"; done ;;
  stop) for ((i = ${#targets[@]} - 1; i >= 0; i--)); do stop_one "${targets[$i]}"; done ;;
  status) for s in "${targets[@]}"; do p=$(pid_of "$s"); echo "$s: ${p:+running pid $p}${p:-stopped}"; done ;;
  *) echo "usage: $0 start|stop|status [calculator|totals]" >&2; exit 2 ;;
esac
