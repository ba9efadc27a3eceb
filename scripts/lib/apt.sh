# apt_install installs Debian packages when running as root (apt-get update
# once if the package lists lack the first one); otherwise it says what to
# install and exits. The caller defines log.
apt_install() {
  if [[ "$(id -u)" != 0 ]] || ! command -v apt-get >/dev/null; then
    log "missing $*; install it (Debian: apt-get install $*)"
    exit 1
  fi
  log "apt-get install $*"
  if ! apt-cache show "$1" >/dev/null 2>&1; then
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >&2
}
