"""Go modules needed by the Bazel tooling itself (gazelle), not by our code.

rules_go's go_rules_dependencies() declares these as http_archive downloads
from GitHub, which cannot be reached here; declaring them first as
go_repository (Go module proxy) makes rules_go skip its own definition.
They live here, not in deps.bzl, so that `gazelle update-repos -prune` (which
prunes everything not in go.mod) keeps them.
"""

load("@bazel_gazelle//:deps.bzl", "go_repository")

def bazel_tool_dependencies():
    go_repository(
        name = "org_golang_x_tools_go_vcs",
        importpath = "golang.org/x/tools/go/vcs",
        sum = "h1:cOIJqWBl99H1dH5LWizPa+0ImeeJq3t3cJjaeOWUAL4=",
        version = "v0.1.0-deprecated",
    )
