"""go_module_repo: a repository rule that fetches a Go module through the Go
module proxy (`go mod download`) and optionally patches it.

Bazel 4.2.3 (the Bazel that Debian ships) cannot download Bazel rule sets from
GitHub or the Bazel Central Registry here; rules_go and gazelle are however
ordinary Go modules on the proxy, so we fetch them with the host `go` tool and
apply our adaptation patches (kept next to this file).
"""

def _find_go(rctx):
    goroot = rctx.os.environ.get("GOROOT", "")
    if goroot:
        p = rctx.path(goroot + "/bin/go")
        if p.exists:
            return p
    go = rctx.which("go")
    if go:
        return go
    for cand in ["/usr/local/go/bin/go", "/usr/lib/go/bin/go"]:
        p = rctx.path(cand)
        if p.exists:
            return p
    fail("go_module_repo: no `go` tool found (PATH, $GOROOT/bin, /usr/local/go/bin)")

def _go_module_repo_impl(rctx):
    go = _find_go(rctx)
    ref = "%s@%s" % (rctx.attr.module, rctx.attr.version)
    env = {"GO111MODULE": "on", "GOFLAGS": "-mod=mod"}

    # Run outside any module so that the workspace's go.mod does not interfere.
    res = rctx.execute(
        [go, "mod", "download", "-json", ref],
        environment = env,
        working_directory = str(rctx.path(".")),
        timeout = 600,
        quiet = True,
    )
    if res.return_code != 0:
        fail("go mod download %s failed (%d):\n%s\n%s" % (ref, res.return_code, res.stdout, res.stderr))
    info = json.decode(res.stdout)
    if info.get("Error"):
        fail("go mod download %s: %s" % (ref, info["Error"]))
    if rctx.attr.sum and info.get("Sum") != rctx.attr.sum:
        fail("go_module_repo %s: checksum mismatch: want %s, got %s" % (ref, rctx.attr.sum, info.get("Sum")))

    # The module zip has every file under "<module>@<version>/".
    rctx.extract(
        info["Zip"],
        stripPrefix = ref,
    )

    for build_file in rctx.attr.delete:
        rctx.delete(build_file)

    for patch in rctx.attr.patches:
        rctx.patch(patch, strip = rctx.attr.patch_strip)

    if not rctx.path("WORKSPACE").exists and not rctx.path("WORKSPACE.bazel").exists:
        rctx.file("WORKSPACE", 'workspace(name = "%s")\n' % rctx.name)

go_module_repo = repository_rule(
    implementation = _go_module_repo_impl,
    doc = "Fetches a Go module source tree with `go mod download` and patches it.",
    environ = ["GOROOT", "GOPROXY", "GOPATH", "GOMODCACHE", "PATH"],
    attrs = {
        "module": attr.string(mandatory = True, doc = "Go module path"),
        "version": attr.string(mandatory = True, doc = "Module version (vX.Y.Z)"),
        "sum": attr.string(doc = "Expected go.sum hash (h1:...) of the module zip"),
        "patches": attr.label_list(doc = "Patch files applied in order"),
        "patch_strip": attr.int(default = 1),
        "delete": attr.string_list(doc = "Paths deleted before patching"),
    },
)
