#!/usr/bin/env bash
# Regenerates checked-in code: protobuf/gRPC stubs and wire injectors.
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
[ -x "$bin/wire" ] || GOBIN="$bin" go install github.com/google/wire/cmd/wire@v0.7.0

protoc -I proto \
  --go_out=proto/calculatorpb --go_opt=paths=source_relative \
  --go-grpc_out=proto/calculatorpb --go-grpc_opt=paths=source_relative \
  proto/calculator.proto

for svc in services/calculator services/totals; do
  [ -f "$svc/wire.go" ] && (cd "$svc" && wire gen . >/dev/null)
done
gofmt -l $(ls -d proto services 2>/dev/null) | { ! grep .; } || { echo "generated code is not gofmt-clean" >&2; exit 1; }
