#!/usr/bin/env bash
# Runs the Bazel tests tagged "external" (real Kafka broker, Docker engine) with
# what they need from this machine:
#   KAFKA_LIBS_DIR  the broker's jars (scripts/install-kafka.sh fetches them once),
#   DOCKER_HOST     for tests under tests/e2e (scripts/docker-engine.sh starts one),
#   DISTSUM_ROOT    this checkout, for helpers that run scripts/ (image builds).
# The service binaries and images come from Bazel (CALCULATOR_BIN, TOTALS_BIN,
# CALCULATOR_IMAGE_TAR, TOTALS_IMAGE_TAR: see tools/bazel/external_test.bzl).
#
#   tools/bazel/test-external.sh                         # //tests/integration and //tests/testkit tests
#   tools/bazel/test-external.sh //tests/e2e             # the end-to-end suite
#   tools/bazel/test-external.sh //tests/compose         # the Docker Compose deployment
#   tools/bazel/test-external.sh //tests/integration:integration_test --test_filter=TestRetried
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
(($#)) || set -- //tests/integration:integration_test //tests/testkit:testkit_test

export DISTSUM_ROOT="$ROOT"
if [[ -z "${KAFKA_LIBS_DIR:-}" ]]; then
	KAFKA_LIBS_DIR="$(scripts/install-kafka.sh | tail -1)"
	export KAFKA_LIBS_DIR
fi

if [[ " $* " == *"//tests/e2e"* || " $* " == *"//tests/compose"* ]]; then
	if [[ -z "${DOCKER_HOST:-}" ]]; then
		scripts/docker-engine.sh start >&2
		eval "$(scripts/docker-engine.sh env)"
	fi
	# Kafka and Toxiproxy images (the service images come from Bazel).
	scripts/build-images.sh all >&2
fi

exec bazel test --config=external "$@"
