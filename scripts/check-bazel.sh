#!/usr/bin/env bash
# CI check for the Bazel build files:
#   1. deps.bzl is what `gazelle update-repos -from_file=go.mod` writes
#      (bazel run //:gazelle-update-repos),
#   2. every BUILD.bazel file is what gazelle writes (bazel run //:gazelle),
#   3. MODULE.bazel agrees with WORKSPACE (rules_go and gazelle versions, host
#      Go SDK) and its use_repo() names exactly the Go repositories the BUILD
#      files use, each a module of go.mod.
# Fails (exit 1) listing what is stale. The tree is left as it was, unless
# --fix is given: then regenerated files and MODULE.bazel's use_repo() stay.
#
#   scripts/check-bazel.sh          # check (CI)
#   scripts/check-bazel.sh --fix    # regenerate BUILD files, deps.bzl, use_repo()
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
FIX=0
[[ "${1:-}" == "--fix" ]] && FIX=1

log() { echo "check-bazel: $*" >&2; }

"$ROOT/scripts/bazel-bootstrap.sh" >/dev/null

# Files gazelle may write: every BUILD.bazel outside ignored/output dirs, deps.bzl, WORKSPACE.
list_files() {
	find . \( -path ./.git -o -path ./.cache -o -path ./.run -o -path './bazel-*' -o -path ./third_party \) -prune \
		-o -name BUILD.bazel -print | sort
	echo ./deps.bzl
	echo ./WORKSPACE
}

SNAP="$(mktemp -d)"
trap 'rm -rf "$SNAP"' EXIT
list_files >"$SNAP/before.list"
while read -r f; do
	mkdir -p "$SNAP/orig/$(dirname "$f")"
	cp -p "$f" "$SNAP/orig/$f"
done <"$SNAP/before.list"

restore() {
	# Put back the files as they were and remove BUILD files gazelle created.
	while read -r f; do cp -p "$SNAP/orig/$f" "$f"; done <"$SNAP/before.list"
	comm -13 "$SNAP/before.list" "$SNAP/after.list" | while read -r f; do rm -f "$f"; done
}

status=0
log "bazel run //:gazelle-update-repos (deps.bzl from go.mod)"
if ! bazel run //:gazelle-update-repos >"$SNAP/update-repos.log" 2>&1; then
	cat "$SNAP/update-repos.log" >&2
	log "gazelle update-repos failed"
	exit 1
fi
log "bazel run //:gazelle (BUILD files)"
if ! bazel run //:gazelle >"$SNAP/gazelle.log" 2>&1; then
	cat "$SNAP/gazelle.log" >&2
	log "gazelle failed"
	exit 1
fi
list_files >"$SNAP/after.list"

stale=()
while read -r f; do
	if [[ ! -f "$SNAP/orig/$f" ]]; then
		stale+=("$f (missing: gazelle creates it)")
		diff -u /dev/null "$f" | sed 's/^/    /' >&2 || true
	elif ! cmp -s "$SNAP/orig/$f" "$f"; then
		stale+=("$f")
		diff -u "$SNAP/orig/$f" "$f" | sed 's/^/    /' >&2 || true
	fi
done <"$SNAP/after.list"

if ((${#stale[@]})) && ((FIX)); then
	log "regenerated:"
	printf '  %s\n' "${stale[@]}" >&2
elif ((${#stale[@]})); then
	status=1
	log "stale Bazel files (run scripts/check-bazel.sh --fix, or bazel run //:gazelle-update-repos && bazel run //:gazelle):"
	printf '  %s\n' "${stale[@]}" >&2
fi
if ((!FIX)); then
	restore
fi

# MODULE.bazel agrees with WORKSPACE, go.mod and the BUILD files.
FIX="$FIX" python3 - <<'PY' || status=1
import os, re, sys

def read(p):
    with open(p) as f:
        return f.read()

ws, mod, deps, gomod = read("WORKSPACE"), read("MODULE.bazel"), read("deps.bzl"), read("go.mod")
errors = []

def ws_version(name):
    m = re.search(r'go_module_repo\(\s*name = "%s",(.*?)\n\)' % name, ws, re.S)
    if not m:
        return None
    v = re.search(r'version = "v?([^"]+)"', m.group(1))
    return v.group(1) if v else None

def mod_version(name):
    m = re.search(r'bazel_dep\(name = "%s", version = "([^"]+)"' % name, mod)
    return m.group(1) if m else None

for ws_name, mod_name, patch in [("io_bazel_rules_go", "rules_go", "rules_go"), ("bazel_gazelle", "gazelle", "gazelle")]:
    wv, mv = ws_version(ws_name), mod_version(mod_name)
    if not wv or not mv:
        errors.append("%s: version not found (WORKSPACE %s, MODULE.bazel %s)" % (mod_name, wv, mv))
    elif wv != mv:
        errors.append("%s: WORKSPACE has v%s, MODULE.bazel has %s" % (mod_name, wv, mv))
    elif not os.path.exists("third_party/bazel/%s-v%s-bazel4.patch" % (patch, wv)):
        errors.append("%s: no third_party/bazel/%s-v%s-bazel4.patch for the WORKSPACE version" % (mod_name, patch, wv))

if "go_host_sdk(" in ws and "go_sdk.host()" not in mod:
    errors.append("WORKSPACE uses the host Go SDK (go_host_sdk) but MODULE.bazel has no go_sdk.host()")
if 'go_deps.from_file(go_mod = "//:go.mod")' not in mod:
    errors.append('MODULE.bazel must read go.mod: go_deps.from_file(go_mod = "//:go.mod")')

# Go repositories used by BUILD files.
builtin = {"io_bazel_rules_go", "bazel_gazelle", "bazel_tools", "platforms", "bazel_skylib", "rules_proto", "rules_cc", "rules_java"}
used = set()
for dirpath, dirnames, filenames in os.walk("."):
    dirnames[:] = [d for d in dirnames if d not in (".git", ".cache", ".run", "third_party") and not d.startswith("bazel-")]
    if "BUILD.bazel" in filenames:
        used |= set(re.findall(r'"@([A-Za-z0-9_.-]+)//', read(os.path.join(dirpath, "BUILD.bazel"))))
used -= builtin

# Repository name -> importpath in deps.bzl; modules required by go.mod.
repo_path = dict(re.findall(r'name = "([^"]+)",\s*(?:build_file_proto_mode = "[^"]+",\s*)?importpath = "([^"]+)"', deps))
required = set(re.findall(r'^\s+([^\s()]+) v\S+', gomod, re.M)) | set(re.findall(r'^require ([^\s(]+) v\S+', gomod, re.M))
for r in sorted(used):
    if r not in repo_path:
        errors.append("BUILD files use @%s, which deps.bzl does not define" % r)
    elif repo_path[r] not in required:
        errors.append("BUILD files use @%s (%s), which go.mod does not require" % (r, repo_path[r]))

m = re.search(r"# BEGIN use_repo.*?\n(.*?)# END use_repo", mod, re.S)
if not m:
    errors.append("MODULE.bazel: no '# BEGIN use_repo' ... '# END use_repo' block")
else:
    listed = set(re.findall(r'^\s+"([^"]+)",', m.group(1), re.M))
    if listed != used:
        want = "use_repo(\n    go_deps,\n" + "".join('    "%s",\n' % r for r in sorted(used)) + ")\n"
        if os.environ.get("FIX") == "1":
            new = mod[:m.start(1)] + want + mod[m.end(1):]
            with open("MODULE.bazel", "w") as f:
                f.write(new)
            print("check-bazel: MODULE.bazel use_repo() rewritten", file=sys.stderr)
        else:
            errors.append("MODULE.bazel use_repo() is stale: missing %s, extra %s (scripts/check-bazel.sh --fix)"
                          % (sorted(used - listed), sorted(listed - used)))

for e in errors:
    print("check-bazel: " + e, file=sys.stderr)
sys.exit(1 if errors else 0)
PY

if ((status)); then
	log "FAILED"
else
	log "OK: BUILD files, deps.bzl and MODULE.bazel are up to date"
fi
exit "$status"
