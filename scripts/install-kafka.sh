#!/usr/bin/env bash
# Installs the Apache Kafka broker jars (single-node KRaft) into .cache/kafka/<version>/libs,
# fetched from Maven Central with deploy/kafka/pom.xml and a repo-local Maven repository
# (.cache/m2). Idempotent: a complete libs dir is reused. Prints the libs dir on stdout.
#
#   scripts/install-kafka.sh            # -> /path/to/repo/.cache/kafka/4.1.1/libs
#   KAFKA_VERSION=4.1.1 scripts/install-kafka.sh
#
# Needs java (17+) and mvn; installs them with apt-get when missing and running as root.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
KAFKA_VERSION="${KAFKA_VERSION:-4.1.1}"
DEST="${ROOT}/.cache/kafka/${KAFKA_VERSION}"
LIBS="${DEST}/libs"
STAMP="${DEST}/.complete"
POM="${ROOT}/deploy/kafka/pom.xml"

log() { echo "install-kafka: $*" >&2; }

# shellcheck source=lib/apt.sh
. "${ROOT}/scripts/lib/apt.sh"

# The stamp records the pom it was built from: editing the pom re-fetches.
pom_sum="$(sha256sum "${POM}" | cut -d' ' -f1)"
if [[ -f "${STAMP}" && "$(cat "${STAMP}")" == "${KAFKA_VERSION} ${pom_sum}" ]] \
   && [[ -f "${LIBS}/kafka_2.13-${KAFKA_VERSION}.jar" ]]; then
  echo "${LIBS}"
  exit 0
fi

command -v java >/dev/null || apt_install openjdk-17-jre-headless
command -v mvn >/dev/null || apt_install maven

log "fetching Kafka ${KAFKA_VERSION} jars into ${LIBS}"
tmp="${DEST}/libs.tmp.$$"
trap 'rm -rf "${tmp}"' EXIT
rm -rf "${tmp}"
mkdir -p "${tmp}"
mvn -q -B -f "${POM}" \
  -Dmaven.repo.local="${ROOT}/.cache/m2" -Dstyle.color=never \
  -Dkafka.version="${KAFKA_VERSION}" \
  dependency:copy-dependencies \
  -DincludeScope=runtime \
  -DoutputDirectory="${tmp}" >&2
[[ -f "${tmp}/kafka_2.13-${KAFKA_VERSION}.jar" ]] || { log "kafka_2.13-${KAFKA_VERSION}.jar missing after mvn"; exit 1; }
rm -rf "${LIBS}"
mv "${tmp}" "${LIBS}"
echo "${KAFKA_VERSION} ${pom_sum}" > "${STAMP}"
log "installed $(ls "${LIBS}" | wc -l) jars"
echo "${LIBS}"
