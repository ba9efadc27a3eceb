#!/usr/bin/env bash
# Installs the Strimzi CRDs the Kubernetes manifests are validated against
# (deploy/k8s) into .cache/strimzi/<version>/crds. They come from Maven
# Central: the io.strimzi:api test jar carries the generated CRDs (crds/v1/),
# whose kafka.strimzi.io/v1 schemas are those of Strimzi's install files.
# Idempotent. Prints the crds directory on stdout.
#
#   scripts/install-strimzi-crds.sh          # -> /path/to/repo/.cache/strimzi/0.51.0/crds
#   STRIMZI_VERSION=0.51.0 scripts/install-strimzi-crds.sh
#
# Needs mvn (and java); installs them with apt-get when missing and running as root.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STRIMZI_VERSION="${STRIMZI_VERSION:-0.51.0}"
DEST="${ROOT}/.cache/strimzi/${STRIMZI_VERSION}"
CRDS="${DEST}/crds"
STAMP="${DEST}/.complete"
# The kinds deploy/k8s uses.
FILES=(040-Crd-kafka.yaml 043-Crd-kafkatopic.yaml 045-Crd-kafkanodepool.yaml)

log() { echo "install-strimzi-crds: $*" >&2; }

# shellcheck source=lib/apt.sh
. "${ROOT}/scripts/lib/apt.sh"

if [[ -f "${STAMP}" && "$(cat "${STAMP}")" == "${STRIMZI_VERSION} ${FILES[*]}" ]]; then
  echo "${CRDS}"
  exit 0
fi

command -v java >/dev/null || apt_install openjdk-17-jre-headless
command -v mvn >/dev/null || apt_install maven
command -v unzip >/dev/null || apt_install unzip

tmp="${DEST}/tmp.$$"
trap 'rm -rf "${tmp}"' EXIT
rm -rf "${tmp}"
mkdir -p "${tmp}/crds"
log "fetching io.strimzi:api:${STRIMZI_VERSION}:jar:tests from Maven Central"
mvn -q -B -Dmaven.repo.local="${ROOT}/.cache/m2" -Dstyle.color=never \
  dependency:copy \
  -Dartifact="io.strimzi:api:${STRIMZI_VERSION}:jar:tests" \
  -Dtransitive=false \
  -DoutputDirectory="${tmp}" >&2
jar="${tmp}/api-${STRIMZI_VERSION}-tests.jar"
[[ -f "${jar}" ]] || { log "${jar##*/} missing after mvn"; exit 1; }
for f in "${FILES[@]}"; do
  unzip -q -j -o "${jar}" "crds/v1/${f}" -d "${tmp}/crds" || { log "crds/v1/${f} not in ${jar##*/}"; exit 1; }
  grep -q '^kind: CustomResourceDefinition' "${tmp}/crds/${f}" || { log "${f} is not a CRD"; exit 1; }
done
rm -rf "${CRDS}"
mv "${tmp}/crds" "${CRDS}"
echo "${STRIMZI_VERSION} ${FILES[*]}" > "${STAMP}"
log "installed ${#FILES[@]} CRDs into ${CRDS}"
echo "${CRDS}"
