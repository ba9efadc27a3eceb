#!/usr/bin/env bash
# Regenerates checked-in code: protobuf/gRPC stubs and wire injectors, through
# the //go:generate directives (proto/calculatorpb/generate.go, and the one wire
# writes into each services/*/wire_gen.go), with the pinned generators on PATH.
# `make generate` runs it; `scripts/generate.sh --check` (make check-generated)
# fails when regenerating changes any generated file.
set -euo pipefail
cd "$(dirname "$0")/.."
generated() { ls proto/calculatorpb/*.pb.go services/*/wire_gen.go 2>/dev/null; }
if [[ "${1:-}" == "--check" ]]; then
  before=$(mktemp -d)
  trap 'rm -rf "$before"' EXIT
  for f in $(generated); do mkdir -p "$before/$(dirname "$f")" && cp "$f" "$before/$f"; done
  "$0"
  stale=0
  for f in $(generated); do
    cmp -s "$f" "$before/$f" || { echo "stale generated file: $f (run 'make generate' and commit)" >&2; stale=1; }
  done
  exit $stale
fi
root=$PWD
bin="$root/.cache/bin"
mkdir -p "$bin"
export PATH="$bin:$PATH"

if ! command -v protoc >/dev/null; then
  apt-get install -y -qq -o DPkg::Lock::Timeout=300 protobuf-compiler >/dev/null ||
    { apt-get update -qq && apt-get install -y -qq -o DPkg::Lock::Timeout=300 protobuf-compiler >/dev/null; }
fi
[ -x "$bin/protoc-gen-go" ] || GOBIN="$bin" go install google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.12
[ -x "$bin/protoc-gen-go-grpc" ] || GOBIN="$bin" go install google.golang.org/grpc/cmd/protoc-gen-go-grpc@v1.5.1
# wire runs at the version go.mod requires (its directive is `go run`).

go generate ./proto/... ./services/... 2> >(grep -v '^wire: .*: wrote ' >&2)
gofmt -l $(ls -d proto services 2>/dev/null) | { ! grep .; } || { echo "generated code is not gofmt-clean" >&2; exit 1; }
