#!/usr/bin/env bash
# Single-node KRaft Apache Kafka for local runs (`make up`) and CI.
#
#   scripts/kafka.sh start    install jars if needed, format storage once, start, wait until ready
#   scripts/kafka.sh stop     SIGTERM, wait (KAFKA_STOP_TIMEOUT, 30 s), then SIGKILL
#   scripts/kafka.sh status   exit 0 if running and answering metadata requests
#   scripts/kafka.sh logs     last 100 lines of the broker log (`logs -f` follows it)
#   scripts/kafka.sh reset    stop and delete the data dir
#
# Environment (defaults in brackets):
#   KAFKA_HOST [127.0.0.1]  KAFKA_PORT [9092]  KAFKA_CONTROLLER_PORT [9093]
#   KAFKA_RUN_DIR [.run/kafka]  KAFKA_DATA_DIR [$KAFKA_RUN_DIR/data]
#   KAFKA_HEAP_OPTS [-Xms256m -Xmx512m]  KAFKA_JVM_OPTS [G1, small pauses]
#   KAFKA_READY_TIMEOUT [90s]  KAFKA_STOP_TIMEOUT [30]
# Files: $KAFKA_RUN_DIR/kafka.pid, kafka.log, server.properties (rendered from
# deploy/kafka/server.properties.tmpl).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
KAFKA_HOST="${KAFKA_HOST:-127.0.0.1}"
KAFKA_PORT="${KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-9093}"
RUN_DIR="${KAFKA_RUN_DIR:-${ROOT}/.run/kafka}"
DATA_DIR="${KAFKA_DATA_DIR:-${RUN_DIR}/data}"
PID_FILE="${RUN_DIR}/kafka.pid"
LOG_FILE="${RUN_DIR}/kafka.log"
PROPS="${RUN_DIR}/server.properties"
HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xms256m -Xmx512m}"
JVM_OPTS="${KAFKA_JVM_OPTS:--XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent}"
READY_TIMEOUT="${KAFKA_READY_TIMEOUT:-90s}"
STOP_TIMEOUT="${KAFKA_STOP_TIMEOUT:-30}"
BOOTSTRAP="${KAFKA_HOST}:${KAFKA_PORT}"

log() { echo "kafka: $*" >&2; }

# pid of our broker if it runs, else nothing. A stale pid file (or a pid reused by some other
# process) does not count.
running_pid() {
  [[ -f "${PID_FILE}" ]] || return 0
  local pid
  pid="$(cat "${PID_FILE}" 2>/dev/null || true)"
  [[ "${pid}" =~ ^[0-9]+$ ]] || return 0
  if [[ -r "/proc/${pid}/cmdline" ]] && tr '\0' ' ' < "/proc/${pid}/cmdline" | grep -q 'kafka\.Kafka'; then
    # A zombie (killed, not yet reaped) is not running.
    [[ "$(awk '{print $3}' "/proc/${pid}/stat" 2>/dev/null)" != Z ]] && echo "${pid}"
  fi
  return 0
}

port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

ready_tool() {
  local bin="${ROOT}/.cache/kafka/bin/kafkaready"
  (cd "${ROOT}" && go build -o "${bin}" ./deploy/kafka/kafkaready) >&2
  echo "${bin}"
}

render_props() {
  mkdir -p "${RUN_DIR}" "${DATA_DIR}"
  sed -e "s|@NODE_ID@|1|g" \
      -e "s|@HOST@|${KAFKA_HOST}|g" \
      -e "s|@PORT@|${KAFKA_PORT}|g" \
      -e "s|@CONTROLLER_PORT@|${KAFKA_CONTROLLER_PORT}|g" \
      -e "s|@DATA_DIR@|${DATA_DIR}|g" \
      "${ROOT}/deploy/kafka/server.properties.tmpl" > "${PROPS}.tmp"
  mv "${PROPS}.tmp" "${PROPS}"
}

# Sets JAVA to the java command line shared by the formatter and the broker.
java_cmd() {
  local heap jvm
  read -r -a heap <<< "${HEAP_OPTS}"
  read -r -a jvm <<< "${JVM_OPTS}"
  JAVA=(java "${heap[@]}" "${jvm[@]}" -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true
    "-Dlog4j2.configurationFile=${ROOT}/deploy/kafka/log4j2.yaml" -cp "${LIBS}/*")
}

format_storage() {
  if [[ -f "${DATA_DIR}/meta.properties" ]]; then
    return 0
  fi
  local cluster_id
  # A KRaft cluster id is 16 random bytes in URL-safe base64 without padding.
  # One that starts with '-' would be read as an option (1 start in 64 failed
  # with "argument --cluster-id/-t: expected one argument"): the form with '='
  # takes any value.
  cluster_id="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')"
  log "formatting ${DATA_DIR} (cluster ${cluster_id})"
  java_cmd
  "${JAVA[@]}" -Dlog4j2.level=WARN kafka.tools.StorageTool format \
    --cluster-id="${cluster_id}" -c "${PROPS}" --ignore-formatted >> "${LOG_FILE}" 2>&1 \
    || { log "format failed, see ${LOG_FILE}"; tail -n 20 "${LOG_FILE}" >&2; exit 1; }
}

cmd_start() {
  local pid
  pid="$(running_pid)"
  if [[ -n "${pid}" ]]; then
    log "already running (pid ${pid})"
  else
    command -v java >/dev/null || { log "java not found (Debian: apt-get install openjdk-17-jre-headless)"; exit 1; }
    if port_open "${KAFKA_HOST}" "${KAFKA_PORT}" || port_open "${KAFKA_HOST}" "${KAFKA_CONTROLLER_PORT}"; then
      log "${KAFKA_HOST}:${KAFKA_PORT} or :${KAFKA_CONTROLLER_PORT} is already in use by another process"
      exit 1
    fi
    LIBS="$("${ROOT}/scripts/install-kafka.sh")"
    render_props
    echo "==== $(date -Is) kafka.sh start ${BOOTSTRAP} data=${DATA_DIR}" >> "${LOG_FILE}"
    format_storage
    # setsid: the broker outlives this shell and is not hit by a Ctrl-C sent to its caller.
    java_cmd
    setsid "${JAVA[@]}" kafka.Kafka "${PROPS}" >> "${LOG_FILE}" 2>&1 < /dev/null &
    pid=$!
    echo "${pid}" > "${PID_FILE}"
    log "started pid ${pid}, log ${LOG_FILE}"
  fi
  local t0=${SECONDS} tool
  tool="$(ready_tool)"
  if ! "${tool}" -brokers "${BOOTSTRAP}" -timeout "${READY_TIMEOUT}" -pid "${pid}"; then
    log "broker not ready; last log lines:"
    tail -n 30 "${LOG_FILE}" >&2
    exit 1
  fi
  log "ready on ${BOOTSTRAP} (waited $((SECONDS - t0))s)"
}

cmd_stop() {
  local pid
  pid="$(running_pid)"
  if [[ -z "${pid}" ]]; then
    log "not running"
    rm -f "${PID_FILE}"
    return 0
  fi
  log "stopping pid ${pid}"
  kill -TERM "${pid}" 2>/dev/null || true
  local deadline=$((SECONDS + STOP_TIMEOUT))
  while [[ -n "$(running_pid)" ]]; do
    if ((SECONDS >= deadline)); then
      log "still running after ${STOP_TIMEOUT}s: SIGKILL"
      kill -KILL "${pid}" 2>/dev/null || true
      sleep 0.5
      break
    fi
    sleep 0.2
  done
  rm -f "${PID_FILE}"
  log "stopped"
}

cmd_status() {
  local pid
  pid="$(running_pid)"
  if [[ -z "${pid}" ]]; then
    echo "kafka: not running"
    exit 3
  fi
  if "$(ready_tool)" -brokers "${BOOTSTRAP}" -timeout 3s 2>/dev/null; then
    echo "kafka: running (pid ${pid}), ready on ${BOOTSTRAP}"
  else
    echo "kafka: running (pid ${pid}), NOT ready on ${BOOTSTRAP}"
    exit 1
  fi
}

cmd_logs() {
  [[ -f "${LOG_FILE}" ]] || { log "no log at ${LOG_FILE}"; exit 1; }
  if [[ "${1:-}" == "-f" ]]; then
    exec tail -n 100 -F "${LOG_FILE}"
  fi
  tail -n "${KAFKA_LOG_LINES:-100}" "${LOG_FILE}"
}

case "${1:-}" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  logs) shift; cmd_logs "$@" ;;
  reset) cmd_stop; log "deleting ${DATA_DIR}"; rm -rf "${DATA_DIR}" ;;
  *) echo "usage: $0 start|stop|status|logs [-f]|reset" >&2; exit 2 ;;
esac
