"""go_external_test: a go_test that needs things outside the sandbox.

Gazelle generates it instead of go_test under tests/integration, tests/testkit
and tests/e2e (`# gazelle:map_kind go_test go_external_test
//tools/bazel:external_test.bzl` in their BUILD files). Such tests start a real
Kafka (java + jars) or a Docker engine, so they are tagged "manual" (left out
of `bazel test //...`, run when named: `bazel test //tests/e2e`,
`bazel test //tests/integration/...`) and "external".

The runfiles hold go.mod, so the
Kafka test kit finds its "repository root" there (KAFKA_LIBS_DIR must then be
set: tools/bazel/test-external.sh does it). They get the Bazel-built service binaries and images through the variables
the test kit reads: CALCULATOR_BIN, TOTALS_BIN, CALCULATOR_IMAGE_TAR,
TOTALS_IMAGE_TAR, and the image writer and loader OCIIMAGE_BIN (//tools/ociimage,
for the images the e2e helpers build and for loading every image), relative to
the working directory, the runfiles root; and E2E=1.
"""

load("@io_bazel_rules_go//go:def.bzl", "go_test")

_DATA = [
    "//:kafka_test_files",
    "//services/calculator",
    "//services/totals",
    "//services/calculator:image.tarball",
    "//services/totals:image.tarball",
    "//tools/ociimage",
]

_ENV = {
    "CALCULATOR_BIN": "$(rootpath //services/calculator)",
    "TOTALS_BIN": "$(rootpath //services/totals)",
    "CALCULATOR_IMAGE_TAR": "$(rootpath //services/calculator:image.tarball)",
    "TOTALS_IMAGE_TAR": "$(rootpath //services/totals:image.tarball)",
    "OCIIMAGE_BIN": "$(rootpath //tools/ociimage)",
    "E2E": "1",
}

def go_external_test(name, data = [], env = {}, tags = [], size = "enormous", **kwargs):
    all_env = dict(_ENV)
    all_env.update(env)
    all_tags = list(tags)
    for t in ["external", "manual", "requires-network"]:
        if t not in all_tags:
            all_tags.append(t)
    go_test(
        name = name,
        data = data + [d for d in _DATA if d not in data],
        env = all_env,
        local = True,
        # Run from the runfiles root, where the $(rootpath) values above and
        # go.mod resolve.
        rundir = ".",
        size = size,
        tags = all_tags,
        **kwargs
    )
