#!/usr/bin/env bash
# make bench: builds, starts a fresh system with its durable defaults (SQLite synchronous=FULL,
# acks=all, idempotent producer) on make up's ports with its own data under .run/bench/<time>/,
# runs the harness (tools/bench), writes report.md, report.json, plots and profiles there,
# points .run/bench/latest at it, and stops what it started.
#
#   scripts/bench.sh                 default mode (at most ~15 minutes on 2 cores)
#   BENCH_LONG=1 scripts/bench.sh    long mode (longer steps, 10,000,000 events soaked)
#   BENCH_QUICK=1 scripts/bench.sh   seconds per step: checks the harness, not the system
#
# It refuses to run while anything listens on make up's ports: a bench needs a system it
# started itself, with known settings (make down first).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "${ROOT}"
log() { printf 'bench: %s\n' "$*" >&2; }

mode=()
[[ "${BENCH_QUICK:-0}" =~ ^(1|true|yes)$ ]] && mode+=(-quick)
[[ "${BENCH_LONG:-0}" =~ ^(1|true|yes)$ ]] && mode+=(-long)
# The harness reads BENCH_* too; the mode is passed as flags instead.
unset BENCH_QUICK BENCH_LONG

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for port in 9090 8081 8080 8083 9092 9093; do
  if port_open "${port}"; then
    log "port ${port} is in use: stop the running system first (make down); a bench starts its own"
    exit 1
  fi
done

# Only the defaults: no setting of the environment changes what is measured.
while read -r v; do unset "${v}"; done < <(compgen -e | grep -E '^(CALCULATOR|TOTALS|KAFKA)_' || true)

ts="$(date -u +%Y%m%dT%H%M%SZ)"
OUT="${ROOT}/.run/bench/${ts}"
mkdir -p "${OUT}/bin"
export KAFKA_RUN_DIR="${OUT}/kafka"
export CALCULATOR_DATA_DIR="${OUT}/data/calculator" TOTALS_DATA_DIR="${OUT}/data/totals"
export CALCULATOR_PPROF=true TOTALS_PPROF=true

cleanup() {
  local rc=$?
  scripts/services.sh stop || true
  scripts/kafka.sh stop || true
  exit "${rc}"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log "fresh system in ${OUT} (${mode[*]:-default mode})"
scripts/kafka.sh start
scripts/services.sh start
go build -o "${OUT}/bin/bench" ./tools/bench

set +e
"${OUT}/bin/bench" "${mode[@]}" -out "${OUT}" -root "${ROOT}" \
  -calculator-pid-file "${ROOT}/.run/calculator.pid" -totals-pid-file "${ROOT}/.run/totals.pid" \
  -broker-pid-file "${KAFKA_RUN_DIR}/kafka.pid" \
  -state-file "${TOTALS_DATA_DIR}/state" -outbox-file "${CALCULATOR_DATA_DIR}/outbox.db" \
  2>&1 | tee "${OUT}/bench.log"
rc=${PIPESTATUS[0]}
set -e
ln -sfn "${ts}" "${ROOT}/.run/bench/latest"
log "report: .run/bench/latest/report.md (exit ${rc})"
exit "${rc}"
