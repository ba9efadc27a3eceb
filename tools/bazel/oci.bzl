"""Reproducible FROM-scratch OCI images of static Go binaries, without rules_oci.

    load("//tools/bazel:oci.bzl", "oci_image_go")

    oci_image_go(
        name = "image",
        binary = ":calculator",          # go_binary(pure = "on", static = "on")
        ports = ["9090", "8081"],
        repo_tag = "distsum/calculator:latest",
    )

gives
  :image       -> image.tar (docker-loadable), image.oci/ (OCI image layout),
                  image.digest (manifest digest, sha256:...)
  :image.load  -> `bazel run //pkg:image.load` loads image.tar into the engine
                  at $DOCKER_HOST (unix:// or tcp://), no docker CLI needed.

The image: binary at /app (entrypoint), user 65532:65532, /tmp (1777), `dirs`
owned by that user, fixed timestamps (Unix epoch): the same binary and
attributes always give the same digest. The writer is //tools/ociimage.
"""

def _oci_image_impl(ctx):
    name = ctx.label.name
    tar = ctx.actions.declare_file(name + ".tar")
    layout = ctx.actions.declare_directory(name + ".oci")
    digest = ctx.actions.declare_file(name + ".digest")
    binary = ctx.executable.binary
    repo_tag = ctx.attr.repo_tag or "%s:latest" % ctx.label.package.split("/")[-1]

    args = ctx.actions.args()
    args.add("build")
    args.add("-binary", binary)
    args.add("-tag", repo_tag)
    args.add("-entrypoint", ctx.attr.entrypoint)
    args.add("-user", ctx.attr.user)
    args.add("-created", str(ctx.attr.created))
    args.add("-platform", ctx.attr.platform)
    for p in ctx.attr.ports:
        args.add("-port", p)
    for k in sorted(ctx.attr.labels.keys()):
        args.add("-label", "%s=%s" % (k, ctx.attr.labels[k]))
    for k in sorted(ctx.attr.env.keys()):
        args.add("-env", "%s=%s" % (k, ctx.attr.env[k]))
    for d in ctx.attr.dirs:
        args.add("-dir", d)
    for a in ctx.attr.args:
        args.add("-arg", a)
    args.add("-tarball", tar)
    args.add("-layout", layout.path)
    args.add("-digest-file", digest)

    ctx.actions.run(
        executable = ctx.executable._tool,
        arguments = [args],
        inputs = [binary],
        outputs = [tar, layout, digest],
        mnemonic = "OCIImage",
        progress_message = "Writing image %s (%s)" % (ctx.label, repo_tag),
    )
    return [
        DefaultInfo(files = depset([tar, layout, digest])),
        OutputGroupInfo(
            tarball = depset([tar]),
            layout = depset([layout]),
            digest = depset([digest]),
        ),
    ]

oci_image = rule(
    implementation = _oci_image_impl,
    doc = "A reproducible FROM-scratch image around one static binary.",
    attrs = {
        "binary": attr.label(
            mandatory = True,
            executable = True,
            cfg = "target",
            doc = "A static binary, e.g. go_binary(pure = \"on\", static = \"on\").",
        ),
        "repo_tag": attr.string(doc = "Image reference, default <package basename>:latest."),
        "entrypoint": attr.string(default = "/app"),
        "args": attr.string_list(doc = "Default arguments after the entrypoint (CMD)."),
        "ports": attr.string_list(doc = "Exposed ports, \"9090\" or \"9090/tcp\"."),
        "labels": attr.string_dict(),
        "env": attr.string_dict(),
        "dirs": attr.string_list(doc = "Directories owned by the image user, e.g. [\"/data\"]."),
        "user": attr.string(default = "65532:65532"),
        "created": attr.int(default = 0, doc = "Creation time, Unix seconds."),
        "platform": attr.string(default = "linux/amd64"),
        "_tool": attr.label(
            default = "//tools/ociimage",
            executable = True,
            cfg = "host",
        ),
    },
)

def _oci_load_impl(ctx):
    tar = ctx.file.image_tar
    tool = ctx.executable._tool
    script = ctx.actions.declare_file(ctx.label.name + ".sh")
    ctx.actions.write(
        output = script,
        is_executable = True,
        content = """#!/usr/bin/env bash
# Loads {tar} into the container engine at $DOCKER_HOST.
set -euo pipefail
ws="{workspace}"
if [[ -d "${{RUNFILES_DIR:-}}/$ws" ]]; then cd "$RUNFILES_DIR/$ws";
elif [[ -d "$0.runfiles/$ws" ]]; then cd "$0.runfiles/$ws"; fi
if [[ -z "${{DOCKER_HOST:-}}" && -n "${{BUILD_WORKSPACE_DIRECTORY:-}}" && -x "$BUILD_WORKSPACE_DIRECTORY/scripts/docker-engine.sh" ]]; then
    # The project's own engine, if it runs (scripts/docker-engine.sh start).
    eval "$("$BUILD_WORKSPACE_DIRECTORY/scripts/docker-engine.sh" env 2>/dev/null || true)"
fi
exec "{tool}" load -tarball "{tar}" "$@"
""".format(
            tar = tar.short_path,
            tool = tool.short_path,
            workspace = ctx.workspace_name,
        ),
    )
    return [DefaultInfo(
        executable = script,
        runfiles = ctx.runfiles(files = [tar, tool]),
    )]

oci_load = rule(
    implementation = _oci_load_impl,
    executable = True,
    doc = "`bazel run` loads the image tarball into the engine at $DOCKER_HOST.",
    attrs = {
        "image_tar": attr.label(mandatory = True, allow_single_file = [".tar"]),
        "_tool": attr.label(
            default = "//tools/ociimage",
            executable = True,
            cfg = "target",
        ),
    },
)

def oci_image_go(name, binary, ports = [], repo_tag = None, labels = {}, env = {}, dirs = ["/data"], visibility = None, tags = [], **kwargs):
    """Image `name` (tar + OCI layout + digest) and runnable `name.load` for a static go_binary.

    Args:
      name: target name, conventionally "image".
      binary: label of a go_binary built with pure = "on", static = "on".
      ports: exposed ports.
      repo_tag: image reference (default "distsum/<package basename>:latest").
      labels: image labels; org.opencontainers.image.title defaults to the package basename.
      env: environment of the image.
      dirs: directories owned by the image user (default ["/data"]).
      visibility: visibility of both targets.
      tags: tags of both targets.
      **kwargs: more oci_image attributes (entrypoint, args, user, created, platform).
    """
    pkg = native.package_name().split("/")[-1]
    all_labels = {"org.opencontainers.image.title": pkg}
    all_labels.update(labels)
    oci_image(
        name = name,
        binary = binary,
        ports = ports,
        repo_tag = repo_tag or "distsum/%s:latest" % pkg,
        labels = all_labels,
        env = env,
        dirs = dirs,
        visibility = visibility,
        tags = tags,
        **kwargs
    )
    native.filegroup(
        name = name + ".tarball",
        srcs = [":" + name],
        output_group = "tarball",
        visibility = visibility,
        tags = tags,
    )
    oci_load(
        name = name + ".load",
        image_tar = ":" + name + ".tarball",
        visibility = visibility,
        tags = tags,
    )
