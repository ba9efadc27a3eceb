# Distributed Sum System — developer entry points.
#
#   make up      install what is missing, start Kafka, calculator, totals, Alertmanager, Prometheus
#   make down    stop them (state stays in .run/)
#   make test    every check and test (what CI runs)
#
# Everything is installed by the scripts under scripts/ from the registries
# (apt, Maven Central, Go module proxy) into .cache/; runtime state is in .run/.

SHELL := /bin/bash
GO ?= go
export PATH := $(CURDIR)/.cache/bin:$(PATH)

.PHONY: up down status logs tools kafka-up kafka-down services-up services-down \
	prometheus-up prometheus-down alertmanager-up alertmanager-down postgres-up postgres-down test check fmt vet generate check-generated \
	test-unit test-k8s test-integration test-live test-compose test-e2e go-test check-bazel gazelle \
	bazel-bootstrap bazel-build images images-load load clean

## ---- running the system ----
# OUTBOX=postgres runs the calculator on the shared PostgreSQL outbox, with a
# local server started by scripts/postgres.sh (Debian's, installed if missing).
OUTBOX ?= sqlite

up: tools kafka-up $(if $(filter postgres,$(OUTBOX)),postgres-up) services-up alertmanager-up prometheus-up
	@echo
	@echo "Distributed Sum System is up:"
	@echo "  calculator gRPC   127.0.0.1:9090  (grpcurl -plaintext -d '{\"num1\": 5, \"num2\": 10}' localhost:9090 CalculatorService/Add)"
	@echo "  calculator ops    http://127.0.0.1:8081/metrics /healthz /readyz"
	@echo "  totals REST       http://127.0.0.1:8080/total /healthz /readyz"
	@echo "  totals ops        http://127.0.0.1:8083/metrics /stats /healthz /readyz"
	@echo "  Kafka             127.0.0.1:9092 (topic calculator-sum-topic)"
	@echo "  Prometheus        http://127.0.0.1:9095  (alerts: observability/prometheus/alerts.yml)"
	@echo "  Alertmanager      http://127.0.0.1:9096  (routes: observability/alertmanager/alertmanager.yml)"
	@echo "  logs and data     .run/   (make down to stop)"

down: prometheus-down alertmanager-down services-down kafka-down postgres-down

status:
	@scripts/services.sh status; scripts/kafka.sh status >/dev/null 2>&1 && echo "kafka: running" || echo "kafka: stopped"; scripts/prometheus.sh status || true; scripts/alertmanager.sh status || true

tools:
	scripts/install-tools.sh

kafka-up:
	scripts/kafka.sh start

kafka-down:
	scripts/kafka.sh stop

services-up:
	$(if $(filter postgres,$(OUTBOX)),eval "$$(scripts/postgres.sh env)";) scripts/services.sh start

postgres-up:
	scripts/postgres.sh start

postgres-down:
	scripts/postgres.sh stop

services-down:
	scripts/services.sh stop

prometheus-up:
	scripts/prometheus.sh start

prometheus-down:
	scripts/prometheus.sh stop

alertmanager-up:
	scripts/alertmanager.sh start

alertmanager-down:
	scripts/alertmanager.sh stop

## ---- tests ----
# The whole suite, through Bazel: static checks, unit tests, integration tests
# against real Kafka brokers, the dashboards against a live Prometheus, and
# the failure suite in containers. (`make go-test` runs the same Go tests
# without Bazel.)
test: check check-bazel test-unit test-k8s test-integration test-live test-compose test-e2e

check: fmt vet check-generated

fmt:
	@bad=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$bad" ]; then echo "gofmt needed: $$bad"; exit 1; fi

vet:
	$(GO) vet ./...

# Regenerates protobuf stubs and wire injectors.
generate:
	scripts/generate.sh

# Fails when regenerating changes a generated file (compared with the tree as
# it is, so uncommitted work elsewhere does not trip it).
check-generated:
	scripts/generate.sh --check

# BUILD files, deps.bzl and MODULE.bazel agree with the code and go.mod.
check-bazel:
	scripts/check-bazel.sh

# Regenerates BUILD files (after adding packages or imports) and deps.bzl
# (after changing go.mod).
gazelle: bazel-bootstrap
	scripts/check-bazel.sh --fix

bazel-bootstrap:
	scripts/bazel-bootstrap.sh

bazel-build: bazel-bootstrap
	bazel build //...

# Unit tests (bazel test //... leaves out the tests tagged manual).
test-unit: bazel-bootstrap
	scripts/install-tools.sh prometheus alertmanager
	bazel test //...

# Every Kubernetes overlay renders (kustomize), decodes strictly into the
# k8s.io/api types, and its Strimzi resources validate against Strimzi's CRD
# schemas (fetched from Maven Central by scripts/install-strimzi-crds.sh).
test-k8s:
	scripts/install-strimzi-crds.sh >/dev/null
	CI=$${CI:-true} $(GO) test -count=1 ./deploy/k8s/

# Real Kafka brokers (Maven Central jars), a real PostgreSQL server (Debian's,
# started per test by the test kit) and the Bazel-built service binaries.
test-integration: bazel-bootstrap
	scripts/install-tools.sh postgres
	tools/bazel/test-external.sh //tests/integration:integration_test //tests/testkit:testkit_test \
	  //services/calculator/internal/outbox/pgoutbox:pgoutbox_test

# Brings the system up if it is not, drives traffic, and checks every dashboard
# query returns data from the real Prometheus, which must list the Alertmanager
# as active.
test-live:
	@if curl -fsS -o /dev/null http://127.0.0.1:8080/readyz 2>/dev/null; then started=; \
	else started=1; $(MAKE) up || { $(MAKE) down; exit 1; }; fi; \
	PROMETHEUS_URL=http://127.0.0.1:9095 ALERTMANAGER_URL=http://127.0.0.1:9096 CALCULATOR_GRPC_ADDR=127.0.0.1:9090 TOTALS_URL=http://127.0.0.1:8080 \
	  $(GO) test -count=1 -run Live -v ./tests/observability/ 2>&1 | tee .run/live.log | tail -n 120; rc=$${PIPESTATUS[0]}; \
	if [ -n "$$started" ]; then $(MAKE) down; fi; exit $$rc

# The Docker Compose deployment (deploy/compose), local variant: images built
# here, up -d, one Add, /total shows it, Prometheus targets up, down -v
# (Debian's docker-compose against the project's engine).
test-compose: bazel-bootstrap
	scripts/install-tools.sh compose
	mkdir -p .run
	tools/bazel/test-external.sh //tests/compose:compose_test 2>&1 | tee .run/compose.log | grep -E '^(=== RUN|--- |PASS|FAIL|ok|panic)|compose_test.go|PASSED|FAILED|ERROR' ; rc=$${PIPESTATUS[0]}; \
	scripts/docker-engine.sh stop; exit $$rc

# Exactly-once under failure: Kafka, Toxiproxy and the Bazel-built service
# images in containers on a local Docker engine (scripts/docker-engine.sh).
# E2E_ADDS (default 20000) sets the Adds per scenario.
test-e2e: bazel-bootstrap
	mkdir -p .run
	scripts/docker-engine.sh start
	tools/bazel/test-external.sh //tests/e2e 2>&1 | tee .run/e2e.log | grep -E '^(=== RUN|--- |PASS|FAIL|ok|panic)|SUMMARY|negative control|PASSED|FAILED|Executed|ERROR' ; rc=$${PIPESTATUS[0]}; \
	scripts/docker-engine.sh stop; exit $$rc

# The same Go tests without Bazel (E2E=1 for the failure suite, which then
# builds the service images from source).
go-test:
	scripts/install-strimzi-crds.sh >/dev/null
	$(GO) test -count=1 ./cmd/... ./libs/... ./services/... ./proto/... ./k6-tests/... ./tests/observability/... ./deploy/... ./tools/...
	$(GO) test -count=1 -p 1 -timeout 30m ./tests/testkit/... ./tests/integration/...
	E2E=1 $(GO) test -count=1 -p 1 -timeout 60m ./tests/e2e/... ./tests/compose/...

# Measured speed against a fresh system it starts and stops itself (make up's
# ports must be free): report.md, report.json, plots and profiles in
# .run/bench/<time>/ (.run/bench/latest). BENCH_LONG=1: long mode;
# BENCH_QUICK=1: seconds per step, to check the harness.
.PHONY: bench
bench:
	scripts/bench.sh

# Reproducible OCI images (tarball, OCI layout, digest) and loading them into
# the engine at $$DOCKER_HOST.
images: bazel-bootstrap
	bazel build //services/calculator:image //services/totals:image
	@cat bazel-bin/services/calculator/image.digest bazel-bin/services/totals/image.digest

images-load: images
	bazel run //services/calculator:image.load
	bazel run //services/totals:image.load

# Drives load through the whole chain and checks the total (the k6 scripts'
# equivalent that runs here; see k6-tests/README.md).
load:
	$(GO) run ./k6-tests/loadgen -workers 64 -duration 10s -verify

clean: down
	rm -rf .run
