#!/usr/bin/env bash
# Coverage tools are not available for this Bazel (4.2.3, offline); use `go test -cover`.
echo "coverage merging is not supported in this workspace; use: go test -cover ./..." >&2
exit 0
