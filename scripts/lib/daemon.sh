# Shared by scripts/prometheus.sh and scripts/alertmanager.sh: one local daemon
# with a pid file, a log, and a /-/ready endpoint. The caller sets NAME (also
# what its /proc cmdline must contain), BIN, LISTEN, PIDFILE, LOG and
# READY_TIMEOUT (seconds) before sourcing this file.

log() { printf '%s.sh: %s\n' "$NAME" "$*"; }
die() { printf '%s.sh: %s\n' "$NAME" "$*" >&2; exit 1; }

# daemon_running_pid prints the pid of the daemon started here, if it runs.
daemon_running_pid() {
  [[ -f "$PIDFILE" ]] || return 1
  local pid
  pid="$(cat "$PIDFILE")"
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || return 1
  # Make sure the pid still belongs to the daemon (pids get reused).
  grep -q "$NAME" "/proc/$pid/cmdline" 2>/dev/null || return 1
  echo "$pid"
}

daemon_wait_ready() {
  local deadline=$((SECONDS + READY_TIMEOUT))
  until curl -fsS "http://$LISTEN/-/ready" >/dev/null 2>&1; do
    if ! daemon_running_pid >/dev/null; then
      tail -n 20 "$LOG" >&2 || true
      die "$NAME exited during start-up (log: $LOG)"
    fi
    ((SECONDS < deadline)) || die "$NAME not ready on $LISTEN after ${READY_TIMEOUT}s (log: $LOG)"
    sleep 0.3
  done
}

# daemon_can_start returns 1 when the daemon already runs (nothing to do) and
# dies when something else answers on its address; listen_var names the
# setting that moves it.
daemon_can_start() {
  local listen_var=$1 pid
  command -v "$BIN" >/dev/null 2>&1 || die "'$BIN' not found: run scripts/install-tools.sh $NAME"
  if pid="$(daemon_running_pid)"; then
    log "already running (pid $pid) on http://$LISTEN"
    return 1
  fi
  if curl -fsS "http://$LISTEN/-/ready" >/dev/null 2>&1; then
    die "something else already answers on $LISTEN; stop it or set $listen_var"
  fi
}

# daemon_launch runs "$BIN" "$@" in the background and waits until it is ready.
daemon_launch() {
  # setsid: its own session, so the caller's terminal signals do not reach it.
  setsid "$BIN" "$@" >>"$LOG" 2>&1 </dev/null &
  echo $! >"$PIDFILE"
  daemon_wait_ready
  log "ready (pid $(cat "$PIDFILE")): http://$LISTEN  log: $LOG"
}

daemon_stop() {
  local pid
  if ! pid="$(daemon_running_pid)"; then
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

daemon_status() {
  local pid
  if pid="$(daemon_running_pid)"; then
    log "running (pid $pid) on http://$LISTEN"
  else
    log "not running"
    return 3
  fi
}
