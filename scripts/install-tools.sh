#!/usr/bin/env bash
# Installs the operator tools the project uses, idempotently, on a fresh Debian machine (as root).
#
#   scripts/install-tools.sh            # prometheus + promtool, alertmanager + amtool (Debian), grpcurl
#   scripts/install-tools.sh all        # also ghz (gRPC load) and vegeta (HTTP load)
#   scripts/install-tools.sh prometheus alertmanager grpcurl ghz vegeta   # pick steps
#   scripts/install-tools.sh compose    # docker-compose 1.29 (Debian; deploy/compose, make test-compose)
#   scripts/install-tools.sh postgres   # PostgreSQL server (Debian; the calculator's shared outbox)
#
# Go tools go to .cache/bin (git-ignored). Each step is skipped when its tool is already there.
# Prometheus and Alertmanager are installed from Debian with their daemons prevented from
# auto-starting (policy-rc.d); scripts/prometheus.sh and scripts/alertmanager.sh run them on
# 127.0.0.1:9095 and 127.0.0.1:9096 with the project's configuration instead.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
BIN="$ROOT/.cache/bin"
mkdir -p "$BIN"

GRPCURL_VERSION="v1.9.4"
GHZ_VERSION="v0.120.0"
VEGETA_VERSION="v12.13.0"

did=()
skipped=()

log() { printf 'install-tools: %s\n' "$*"; }

have_bin() { [[ -x "$BIN/$1" ]]; }

# apt_ready makes sure apt knows the package; it runs `apt-get update` only when the
# package lists do not offer it yet.
apt_ready() {
  local pkg="$1" cand
  cand="$(apt-cache policy "$pkg" 2>/dev/null | awk '/Candidate:/ {print $2}')"
  if [[ -z "$cand" || "$cand" == "(none)" ]]; then
    log "apt lists do not offer $pkg yet: apt-get update"
    apt-get -o DPkg::Lock::Timeout=300 update -qq
  fi
}

PRC=/usr/sbin/policy-rc.d
PRC_BACKUP=""
restore_prc() {
  if [[ -n "$PRC_BACKUP" ]]; then
    cp -p "$PRC_BACKUP" "$PRC" && rm -f "$PRC_BACKUP"
  else
    rm -f "$PRC"
  fi
}

# apt_daemon installs a Debian package that ships a daemon without letting it start, if the
# given commands are not all there yet.
apt_daemon() {
  local pkg="$1" version_cmd="$2"
  shift 2
  local have=1 c
  for c in "$@"; do command -v "$c" >/dev/null 2>&1 || have=0; done
  if ((have)); then
    skipped+=("$pkg ($($version_cmd 2>&1 | head -1))")
    return
  fi
  if [[ $EUID -ne 0 ]]; then
    log "$pkg: need root for apt-get install (or install Debian's $pkg yourself)" >&2
    exit 1
  fi
  apt_ready "$pkg"

  # Keep the package's own daemon from starting: policy-rc.d exiting 101 forbids invoke-rc.d
  # actions. Restore whatever was there before, even on failure.
  PRC_BACKUP=""
  if [[ -e "$PRC" ]]; then
    PRC_BACKUP="$(mktemp)"
    cp -p "$PRC" "$PRC_BACKUP"
  fi
  trap restore_prc EXIT
  printf '#!/bin/sh\nexit 101\n' >"$PRC"
  chmod 0755 "$PRC"

  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends "$pkg" >/dev/null

  restore_prc
  trap - EXIT
  # If some init system started it anyway, it would hold the ports the project uses.
  if command -v systemctl >/dev/null 2>&1 && [[ -d /run/systemd/system ]]; then
    systemctl disable --now "$pkg" >/dev/null 2>&1 || true
  fi
  did+=("$pkg ($($version_cmd 2>&1 | head -1)); daemon not started")
}

# Prometheus's Debian daemon would hold :9090 (the calculator's gRPC port).
install_prometheus() { apt_daemon prometheus "prometheus --version" prometheus promtool; }

# Debian names the server prometheus-alertmanager; amtool checks its configuration.
install_alertmanager() { apt_daemon prometheus-alertmanager "prometheus-alertmanager --version" prometheus-alertmanager amtool; }

# Debian's postgresql (15 on bookworm); its own cluster is not started: scripts/postgres.sh runs
# one under .run/postgres. The server binaries are not on PATH: /usr/lib/postgresql/<v>/bin.
pg_bin_dir() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1; }
pg_version() { "$(pg_bin_dir)/postgres" --version; }
install_postgres() { apt_daemon postgresql pg_version "$(pg_bin_dir || true)/postgres" "$(pg_bin_dir || true)/initdb"; }

# Debian's docker-compose 1.29 (Python); it talks to $DOCKER_HOST (scripts/docker-engine.sh), so
# it pulls in no engine: --no-install-recommends keeps docker.io out.
install_compose() {
  if command -v docker-compose >/dev/null 2>&1; then
    skipped+=("docker-compose ($(docker-compose version --short 2>/dev/null))")
    return
  fi
  if [[ $EUID -ne 0 ]]; then
    log "docker-compose: need root for apt-get install (or install Debian's docker-compose yourself)" >&2
    exit 1
  fi
  apt_ready docker-compose
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends docker-compose >/dev/null
  did+=("docker-compose ($(docker-compose version --short 2>/dev/null))")
}

go_tool() {
  local name="$1" pkg="$2"
  if have_bin "$name"; then
    skipped+=("$name (.cache/bin/$name)")
    return
  fi
  log "go install $pkg"
  GOBIN="$BIN" GOFLAGS=-buildvcs=false go install "$pkg"
  did+=("$name -> .cache/bin/$name ($pkg)")
}

steps=("$@")
if [[ ${#steps[@]} -eq 0 ]]; then
  steps=(prometheus alertmanager grpcurl)
fi
if [[ " ${steps[*]} " == *" all "* ]]; then
  steps=(prometheus alertmanager grpcurl ghz vegeta)
fi

for step in "${steps[@]}"; do
  case "$step" in
    prometheus) install_prometheus ;;
    alertmanager) install_alertmanager ;;
    grpcurl) go_tool grpcurl "github.com/fullstorydev/grpcurl/cmd/grpcurl@${GRPCURL_VERSION}" ;;
    ghz) go_tool ghz "github.com/bojand/ghz/cmd/ghz@${GHZ_VERSION}" ;;
    vegeta) go_tool vegeta "github.com/tsenart/vegeta/v12@${VEGETA_VERSION}" ;;
    compose) install_compose ;;
    postgres) install_postgres ;;
    *) log "unknown step '$step' (known: prometheus alertmanager grpcurl ghz vegeta compose postgres all)" >&2; exit 2 ;;
  esac
done

for d in "${did[@]+"${did[@]}"}"; do log "installed: $d"; done
for s in "${skipped[@]+"${skipped[@]}"}"; do log "already present: $s"; done
log "Go tools are in $BIN (add it to PATH)"
