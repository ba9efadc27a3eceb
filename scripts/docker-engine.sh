#!/usr/bin/env bash
# Local Docker engine for the end-to-end suite.
#
#   scripts/docker-engine.sh start   # install (once) and start dockerd on .run/docker/docker.sock
#   scripts/docker-engine.sh stop    # stop the daemon this script started
#   scripts/docker-engine.sh status  # exit 0 if the daemon answers /_ping
#   scripts/docker-engine.sh env     # print the exports the e2e suite needs (eval "$(... env)")
#
# The engine is Debian's docker.io (dockerd + containerd + runc + tini), unpacked from .deb files
# into .cache/docker/root, so nothing is installed system-wide and no system socket is touched.
# Idempotent: a daemon already answering on the socket is reused.
# The daemon runs with --iptables=false and --ip-forward=false: it never edits the host's netfilter
# rules or sysctls. Containers on one bridge network reach each other directly, and published
# ports work through docker-proxy on the host. The iptables *binary* is still required: dockerd
# uses it inside each container's network namespace to redirect 127.0.0.11:53 to its embedded DNS
# server, without which containers cannot resolve each other's aliases. It is installed with
# apt-get when missing (Debian's iptables, no daemon).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="$ROOT/.cache/docker"
DEBS="$CACHE/debs"
PREFIX="$CACHE/root"
RUN="$ROOT/.run/docker"
SOCK="$RUN/docker.sock"
PIDFILE="$RUN/docker.pid"
LOG="$RUN/dockerd.log"
PACKAGES=(docker.io containerd tini runc)

bin_path() { echo "$PREFIX/usr/bin:$PREFIX/usr/sbin"; }

log() { echo "docker-engine: $*" >&2; }

ping_ok() {
	[[ -S "$SOCK" ]] || return 1
	curl -fsS --max-time 2 --unix-socket "$SOCK" http://localhost/_ping >/dev/null 2>&1
}

install_engine() {
	if [[ -x "$PREFIX/usr/sbin/dockerd" && -x "$PREFIX/usr/bin/containerd" && -x "$PREFIX/usr/sbin/runc" ]]; then
		return 0
	fi
	command -v apt-get >/dev/null || { log "apt-get not found: cannot install docker.io"; exit 1; }
	mkdir -p "$DEBS"
	local missing=()
	for p in "${PACKAGES[@]}"; do
		compgen -G "$DEBS/${p}_*.deb" >/dev/null || missing+=("$p")
	done
	if ((${#missing[@]})); then
		log "downloading ${missing[*]}"
		if ! (cd "$DEBS" && apt-get download "${missing[@]}" >/dev/null 2>&1); then
			log "apt-get update"
			apt-get update -qq >/dev/null
			(cd "$DEBS" && apt-get download "${missing[@]}")
		fi
	fi
	rm -rf "$PREFIX.tmp"
	mkdir -p "$PREFIX.tmp"
	for deb in "$DEBS"/*.deb; do
		dpkg-deb -x "$deb" "$PREFIX.tmp"
	done
	rm -rf "$PREFIX"
	mv "$PREFIX.tmp" "$PREFIX"
	# docker.io ships docker-init as a link to tini in some releases; make sure it resolves.
	if [[ ! -e "$PREFIX/usr/sbin/docker-init" && ! -e "$PREFIX/usr/bin/docker-init" && -x "$PREFIX/usr/bin/tini-static" ]]; then
		ln -s tini-static "$PREFIX/usr/bin/docker-init"
	fi
	log "installed into $PREFIX"
}

ensure_iptables() {
	command -v iptables >/dev/null && return 0
	PATH="$PATH:/usr/sbin:/sbin" command -v iptables >/dev/null && return 0
	if [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null; then
		log "installing iptables (needed for container DNS)"
		if ! apt-cache show iptables >/dev/null 2>&1; then apt-get update -qq >/dev/null; fi
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends iptables >/dev/null
	else
		log "warning: no iptables binary: containers will not resolve each other's names"
	fi
}

start() {
	local dpid=""
	mkdir -p "$RUN"
	if ping_ok; then
		log "already running on $SOCK"
		return 0
	fi
	install_engine
	ensure_iptables
	# A stale pid file from a killed daemon would make dockerd refuse to start.
	if [[ -f "$PIDFILE" ]]; then
		local pid
		pid="$(cat "$PIDFILE" 2>/dev/null || true)"
		if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
			log "dockerd pid $pid exists but does not answer yet; waiting"
		else
			rm -f "$PIDFILE" "$SOCK"
		fi
	fi
	if ! ping_ok && [[ ! -f "$PIDFILE" ]]; then
		PATH="$(bin_path):$PATH:/usr/sbin:/sbin" nohup dockerd \
			--data-root "$RUN/data" \
			--exec-root "$RUN/exec" \
			--pidfile "$PIDFILE" \
			-H "unix://$SOCK" \
			--iptables=false \
			--ip-forward=false \
			>>"$LOG" 2>&1 </dev/null 9>&- &
		dpid=$!
		disown || true
	fi
	local i
	for ((i = 0; i < 300; i++)); do
		if ping_ok; then
			log "up on $SOCK"
			return 0
		fi
		if [[ -n "${dpid:-}" ]] && ! kill -0 "$dpid" 2>/dev/null; then
			break
		fi
		sleep 0.1
	done
	log "dockerd did not come up; last log lines of $LOG:"
	tail -n 30 "$LOG" >&2 || true
	exit 1
}

stop() {
	local pid=""
	[[ -f "$PIDFILE" ]] && pid="$(cat "$PIDFILE" 2>/dev/null || true)"
	if [[ -z "$pid" ]] || ! kill -0 "$pid" 2>/dev/null; then
		log "not running"
		rm -f "$PIDFILE"
		return 0
	fi
	kill -TERM "$pid"
	local i
	for ((i = 0; i < 300; i++)); do
		kill -0 "$pid" 2>/dev/null || { log "stopped"; return 0; }
		sleep 0.1
	done
	log "dockerd pid $pid still alive after 30 s; sending KILL"
	kill -KILL "$pid" 2>/dev/null || true
	rm -f "$PIDFILE"
}

print_env() {
	echo "export DOCKER_HOST=unix://$SOCK;"
	echo "export TESTCONTAINERS_RYUK_DISABLED=true;"
	echo "export TESTCONTAINERS_HOST_OVERRIDE=127.0.0.1;"
	echo "export PATH=$(bin_path):\$PATH;"
}

# One start/stop at a time (parallel test processes may all ask for the engine).
with_lock() {
	mkdir -p "$RUN"
	exec 9>"$RUN/engine.lock"
	flock 9
	"$@"
}

case "${1:-}" in
start) with_lock start ;;
stop) with_lock stop ;;
status) ping_ok ;;
env) print_env ;;
*)
	echo "usage: $0 start|stop|status|env" >&2
	exit 2
	;;
esac
