#!/usr/bin/env bash
# Installs what Bazel needs on a fresh Debian bookworm machine, idempotently:
#   - bazel-bootstrap (Debian's Bazel 4.2.3; the only Bazel obtainable here),
#   - bazel-skylib (1.0.3, used as @bazel_skylib from /usr/share/bazel/tools/skylib).
# Everything else comes from the Go module proxy (rules_go, gazelle, Go deps) or
# from this repository (third_party/bazel: patches and local stand-ins).
# A Go toolchain must already be on PATH (or at /usr/local/go): Bazel uses the host SDK.
#
#   scripts/bazel-bootstrap.sh          # install if missing, then print versions
#   scripts/bazel-bootstrap.sh --check  # only report; exit 1 if something is missing
set -euo pipefail

PACKAGES=(bazel-bootstrap bazel-skylib)
CHECK_ONLY=0
[[ "${1:-}" == "--check" ]] && CHECK_ONLY=1
SUDO=
[[ $(id -u) -ne 0 ]] && SUDO=sudo

log() { echo "bazel-bootstrap: $*" >&2; }

missing=()
for p in "${PACKAGES[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing+=("$p")
	fi
done

if ((${#missing[@]})); then
	if ((CHECK_ONLY)); then
		log "missing packages: ${missing[*]}"
		exit 1
	fi
	log "installing ${missing[*]}"
	# apt may be busy (another install running): retry for a while.
	for i in $(seq 1 60); do
		if $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; then
			break
		fi
		((i == 60)) && { log "apt-get install ${missing[*]} failed"; exit 1; }
		log "apt busy or failed, retrying ($i)"
		sleep 5
	done
fi

# .bazelversion names 4.2.3, the release this repository is built and tested with
# (bazelisk fetches it). Debian's /usr/bin/bazel wrapper honours the file too and looks
# for /usr/bin/bazel-<version>; its 4.2.3 build is installed as bazel-4, so name it.
want="$(cat "$(dirname "$0")/../.bazelversion" 2>/dev/null || true)"
if [[ -n "$want" && -x /usr/bin/bazel-4 && ! -e "/usr/bin/bazel-$want" ]]; then
	if ((CHECK_ONLY)); then
		log "missing /usr/bin/bazel-$want (for .bazelversion)"
		exit 1
	fi
	${SUDO:-} ln -s bazel-4 "/usr/bin/bazel-$want"
fi

if [[ ! -f /usr/share/bazel/tools/skylib/WORKSPACE ]]; then
	log "/usr/share/bazel/tools/skylib is missing (package bazel-skylib)"
	exit 1
fi

GO="$(command -v go || true)"
[[ -z "$GO" && -x /usr/local/go/bin/go ]] && GO=/usr/local/go/bin/go
if [[ -z "$GO" ]]; then
	log "no Go toolchain on PATH or in /usr/local/go: Bazel builds with the host Go SDK"
	exit 1
fi

log "bazel: $(dpkg-query -W -f='${Version}' bazel-bootstrap) (reports '$(bazel --version 2>/dev/null | head -1)'), skylib $(dpkg-query -W -f='${Version}' bazel-skylib), $("$GO" version)"
