#!/usr/bin/env bash
# Builds the infrastructure images of the end-to-end suite locally (nothing can be pulled here).
#
#   scripts/build-images.sh [all]                  # kafka + toxiproxy
#   scripts/build-images.sh kafka                  # distsum/kafka:$KAFKA_VERSION  (jlink JRE + Kafka jars)
#   scripts/build-images.sh toxiproxy              # distsum/toxiproxy:2.12.0      (static server)
#   scripts/build-images.sh prometheus             # distsum/prometheus:2.42.0     (Debian's binaries)
#   scripts/build-images.sh alertmanager           # distsum/alertmanager:0.25.0   (Debian's binaries)
#   scripts/build-images.sh postgres               # distsum/postgres:15           (Debian's binaries)
#
# The service images (and any other static Go binary's) are written by tools/ociimage, the Bazel
# image writer (//services/...:image; tests/e2e/infra.GoImage outside Bazel), and loaded with
# `ociimage load`.
#
# Idempotent: an image that already exists is kept (FORCE=1 rebuilds). Uses $DOCKER_HOST if it
# answers, else starts the project's engine (scripts/docker-engine.sh). Staging under .cache/images.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
KAFKA_VERSION="${KAFKA_VERSION:-4.1.1}"
KAFKA_TAG="${KAFKA_TAG:-distsum/kafka:${KAFKA_VERSION}}"
TOXIPROXY_VERSION="2.12.0"
TOXIPROXY_TAG="${TOXIPROXY_TAG:-distsum/toxiproxy:${TOXIPROXY_VERSION}}"
# Debian bookworm's versions (the .debs are checked against them).
PROMETHEUS_VERSION="2.42.0"
PROMETHEUS_TAG="${PROMETHEUS_TAG:-distsum/prometheus:${PROMETHEUS_VERSION}}"
ALERTMANAGER_VERSION="0.25.0"
ALERTMANAGER_TAG="${ALERTMANAGER_TAG:-distsum/alertmanager:${ALERTMANAGER_VERSION}}"
POSTGRES_MAJOR="15"
POSTGRES_TAG="${POSTGRES_TAG:-distsum/postgres:${POSTGRES_MAJOR}}"
STAGE="$ROOT/.cache/images"
FORCE="${FORCE:-0}"
export DOCKER_BUILDKIT=0 # the classic builder needs nothing beyond the engine

# Modules of the broker's JRE (Kafka, Scala, Jackson, log4j2, JMX, SASL/Kerberos, compression libs).
JRE_MODULES="java.base,java.compiler,java.desktop,java.instrument,java.logging,java.management,\
java.management.rmi,java.naming,java.net.http,java.rmi,java.scripting,java.security.jgss,\
java.security.sasl,java.sql,java.transaction.xa,java.xml,jdk.crypto.ec,jdk.crypto.cryptoki,\
jdk.jfr,jdk.management,jdk.management.agent,jdk.naming.dns,jdk.net,jdk.security.auth,\
jdk.security.jgss,jdk.unsupported,jdk.zipfs,jdk.localedata"

# --generate-cds-archive: class data sharing for the JDK classes (the JVM starts ~1 s sooner).
JLINK_FLAGS="--strip-debug --no-header-files --no-man-pages --compress=2 --generate-cds-archive"

log() { echo "build-images: $*" >&2; }

ensure_docker() {
	if [[ -n "${DOCKER_HOST:-}" ]] && command -v docker >/dev/null && docker version >/dev/null 2>&1; then
		return 0
	fi
	"$ROOT/scripts/docker-engine.sh" start
	eval "$("$ROOT/scripts/docker-engine.sh" env)"
}

# A forced rebuild leaves the previous image untagged: remove it (only if nothing else uses it).
drop_old() { # old-id
	[[ -n "$1" ]] || return 0
	[[ "$(docker image inspect -f '{{len .RepoTags}}' "$1" 2>/dev/null)" == 0 ]] || return 0
	docker rmi "$1" >/dev/null 2>&1 || true
}
image_id() { docker image inspect -f '{{.Id}}' "$1" 2>/dev/null || true; }

# An image is current when it exists and its label records the digest of the inputs it was built
# from (Dockerfile, entrypoint source, this script, versions): editing any of them rebuilds.
INPUTS_LABEL="io.distsum.inputs"
inputs_digest() { # files...
	{ echo "$KAFKA_VERSION $TOXIPROXY_VERSION $PROMETHEUS_VERSION $ALERTMANAGER_VERSION $POSTGRES_MAJOR $JRE_MODULES $JLINK_FLAGS"; cat "$0" "$@"; } | sha256sum | cut -c1-32
}
have_image() { # tag digest
	[[ "$FORCE" != 1 ]] || return 1
	[[ "$(docker image inspect -f "{{index .Config.Labels \"$INPUTS_LABEL\"}}" "$1" 2>/dev/null)" == "$2" ]]
}

apt_install() {
	command -v apt-get >/dev/null || { log "need $*; install it"; exit 1; }
	if ! apt-cache show "$1" >/dev/null 2>&1; then apt-get update -qq >/dev/null; fi
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

report() { # tag seconds
	local size
	size="$(docker image inspect -f '{{.Size}}' "$1")"
	log "built $1 in ${2}s, $((size / 1000000)) MB"
}

# --- JRE: jlink image + the shared-library closure of its binaries ---------------------------------
find_jdk() {
	local j
	for j in "${JAVA_HOME:-}" /usr/lib/jvm/java-17-openjdk-*; do
		[[ -n "$j" && -x "$j/bin/jlink" && -d "$j/jmods" ]] && { echo "$j"; return 0; }
	done
	return 1
}

build_jre() { # -> $STAGE/jre-rootfs (cached by JDK release + module list)
	local jdk key out="$STAGE/kafka/jre"
	jdk="$(find_jdk)" || { apt_install openjdk-17-jdk-headless; jdk="$(find_jdk)"; }
	key="$(cat "$jdk/release" 2>/dev/null | sha256sum | cut -c1-16)-$(echo "$JRE_MODULES $JLINK_FLAGS" | sha256sum | cut -c1-16)"
	if [[ -d "$out" && -f "$out.key" && "$(cat "$out.key")" == "$key" ]]; then return 0; fi
	log "jlink JRE from $jdk"
	rm -rf "$out" "$out.tmp"
	mkdir -p "$out.tmp/opt" "$out.tmp/tmp" "$out.tmp/etc" "$out.tmp/var/lib/kafka/data"
	chmod 1777 "$out.tmp/tmp"
	"$jdk/bin/jlink" --module-path "$jdk/jmods" --add-modules "$JRE_MODULES" \
		$JLINK_FLAGS \
		--output "$out.tmp/opt/java" >&2
	# Heaps here are far below 32 GB: only the compressed-oops archive is ever used.
	rm -f "$out.tmp/opt/java/lib/server/classes_nocoops.jsa"
	# GUI, font, image and sound libraries are never loaded by a headless broker (java.desktop is
	# there for java.beans); dropping them keeps X11/freetype/glib out of the closure.
	rm -f "$out.tmp"/opt/java/lib/{libawt_xawt,libsplashscreen,libjawt,libfontmanager,libjsound,liblcms,libjavajpeg}.so
	# Shared-library closure of every ELF file (ld.so, libc, libz, libstdc++ for snappy, ...).
	local libs
	libs="$( {
		find "$out.tmp/opt/java" -type f \( -name '*.so' -o -perm -u+x \) -print0 |
			xargs -0 ldd 2>/dev/null | awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// {print $1}' |
			grep -v "^$out.tmp/"
		# Loaded at run time by JNI libraries extracted from jars (snappy, zstd, lz4), or by glibc.
		ldconfig -p | awk '/libstdc\+\+\.so\.6 |libgcc_s\.so\.1 |libnss_dns\.so\.2 |libresolv\.so\.2 / && /x86-64/ {print $NF}'
	} | sort -u)"
	local l
	for l in $libs; do
		[[ -e "$l" ]] || continue
		mkdir -p "$out.tmp$(dirname "$l")"
		cp -L "$l" "$out.tmp$l"
	done
	printf 'root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n' >"$out.tmp/etc/passwd"
	printf 'root:x:0:\nnogroup:x:65534:\n' >"$out.tmp/etc/group"
	printf 'hosts: files dns\n' >"$out.tmp/etc/nsswitch.conf"
	rm -f "$out.key"
	mv "$out.tmp" "$out"
	echo "$key" >"$out.key"
}

kafka_libs() { # -> prints a directory holding the Kafka $KAFKA_VERSION jars
	if [[ -x "$ROOT/scripts/install-kafka.sh" ]]; then
		KAFKA_VERSION="$KAFKA_VERSION" "$ROOT/scripts/install-kafka.sh"
		return 0
	fi
	local dir="$STAGE/kafka-libs/$KAFKA_VERSION"
	if [[ ! -f "$dir/kafka_2.13-$KAFKA_VERSION.jar" ]]; then
		log "fetching Kafka $KAFKA_VERSION jars with Maven"
		command -v mvn >/dev/null || apt_install maven
		mkdir -p "$STAGE/kafka-libs"
		cat >"$STAGE/kafka-libs/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.distsum</groupId><artifactId>kafka-image-libs</artifactId><version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId><version>$KAFKA_VERSION</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-core</artifactId><version>2.24.3</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-slf4j-impl</artifactId><version>2.24.3</version></dependency>
  </dependencies>
</project>
POM
		rm -rf "$dir.tmp"
		mvn -q -B -f "$STAGE/kafka-libs/pom.xml" -Dmaven.repo.local="$ROOT/.cache/m2" \
			dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$dir.tmp" >&2
		rm -rf "$dir"
		mv "$dir.tmp" "$dir"
	fi
	echo "$dir"
}

static_go_build() { # pkg[@version] out
	if [[ "$1" == *@* ]]; then
		# A tool at a pinned version, built with its own go.mod (not this module's).
		local gobin
		gobin="$(mktemp -d)"
		CGO_ENABLED=0 GOBIN="$gobin" go install -trimpath -ldflags='-s -w' "$1"
		mv "$gobin"/* "$2"
		rm -rf "$gobin"
		return
	fi
	CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o "$2" "$1"
}

build_kafka() {
	local digest
	digest="$(inputs_digest deploy/images/kafka/* deploy/images/kafka-entrypoint/*.go deploy/kafka/*.go \
		deploy/kafka/server.properties.tmpl deploy/kafka/kafkaready/*.go)"
	if have_image "$KAFKA_TAG" "$digest"; then log "$KAFKA_TAG is current"; return 0; fi
	local t0=$SECONDS libs ctx="$STAGE/kafka" old
	old="$(image_id "$KAFKA_TAG")"
	mkdir -p "$ctx"
	build_jre
	libs="$(kafka_libs)"
	rm -rf "$ctx/kafka" "$ctx/app"
	mkdir -p "$ctx/kafka/opt/kafka/libs" "$ctx/kafka/opt/kafka/config" "$ctx/app/usr/local/bin"
	cp "$libs"/*.jar "$ctx/kafka/opt/kafka/libs/"
	cp deploy/images/kafka/log4j2.properties "$ctx/kafka/opt/kafka/config/"
	static_go_build ./deploy/images/kafka-entrypoint "$ctx/app/usr/local/bin/kafka-entrypoint"
	# The health check (compose): the image has no shell, so a metadata request from a Go binary.
	static_go_build ./deploy/kafka/kafkaready "$ctx/app/usr/local/bin/kafkaready"
	docker build -q -f deploy/images/kafka/Dockerfile -t "$KAFKA_TAG" \
		--label "org.opencontainers.image.version=$KAFKA_VERSION" --label "$INPUTS_LABEL=$digest" "$ctx" >/dev/null
	# Smoke test: the JRE runs on its own library closure.
	docker run --rm --entrypoint /opt/java/bin/java "$KAFKA_TAG" -version >/dev/null 2>&1 ||
		{ log "the JRE of $KAFKA_TAG does not start"; docker rmi "$KAFKA_TAG" >/dev/null; exit 1; }
	drop_old "$old"
	report "$KAFKA_TAG" $((SECONDS - t0))
}

build_toxiproxy() {
	local digest
	digest="$(inputs_digest deploy/images/toxiproxy/*)"
	if have_image "$TOXIPROXY_TAG" "$digest"; then log "$TOXIPROXY_TAG is current"; return 0; fi
	local t0=$SECONDS ctx="$STAGE/toxiproxy" old
	old="$(image_id "$TOXIPROXY_TAG")"
	rm -rf "$ctx" && mkdir -p "$ctx/rootfs/tmp"
	chmod 1777 "$ctx/rootfs/tmp"
	static_go_build "github.com/Shopify/toxiproxy/v2/cmd/server@v$TOXIPROXY_VERSION" "$ctx/rootfs/toxiproxy"
	docker build -q -f deploy/images/toxiproxy/Dockerfile -t "$TOXIPROXY_TAG" \
		--label "org.opencontainers.image.version=$TOXIPROXY_VERSION" --label "$INPUTS_LABEL=$digest" "$ctx" >/dev/null
	drop_old "$old"
	report "$TOXIPROXY_TAG" $((SECONDS - t0))
}

# --- Debian packages unpacked into a FROM-scratch root -------------------------------------------
debs_root() { # dir pkg... : apt-get download each package (cached in $STAGE/debs) and unpack into dir
	local dir="$1" p f missing=()
	shift
	mkdir -p "$STAGE/debs"
	for p in "$@"; do compgen -G "$STAGE/debs/${p}_*.deb" >/dev/null || missing+=("$p"); done
	if ((${#missing[@]})); then
		log "apt-get download ${missing[*]}"
		if ! (cd "$STAGE/debs" && apt-get download "${missing[@]}" >/dev/null 2>&1); then
			apt-get update -qq >/dev/null
			(cd "$STAGE/debs" && apt-get download "${missing[@]}" >/dev/null 2>&1)
		fi
	fi
	mkdir -p "$dir"
	for p in "$@"; do
		for f in "$STAGE/debs/${p}"_*.deb; do dpkg-deb -x "$f" "$dir"; done
	done
}

deb_version_is() { # pkg upstream-version : the cached .deb has that upstream version
	local f v
	f="$(compgen -G "$STAGE/debs/${1}_*.deb" | head -1)"
	v="$(dpkg-deb -f "$f" Version)"
	v="${v#*:}"
	[[ "${v%%[+~-]*}" == "$2" ]] || { log "$1 is $v, this script expects $2: update ${1^^} version here"; exit 1; }
}

lib_closure() { # root elf... : copy the host's shared libraries the binaries need into root
	local root="$1" l
	shift
	for l in $(ldd "$@" 2>/dev/null | awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// && $1 !~ /:$/ {print $1}' | sort -u); do
		mkdir -p "$root$(dirname "$l")"
		cp -L "$l" "$root$l"
	done
}

passwd_files() { # root
	mkdir -p "$1/etc" "$1/tmp"
	chmod 1777 "$1/tmp"
	printf 'root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n' >"$1/etc/passwd"
	printf 'root:x:0:\nnogroup:x:65534:\n' >"$1/etc/group"
	printf 'hosts: files dns\n' >"$1/etc/nsswitch.conf"
}

# The JavaScript packages Prometheus' classic UI links to (/usr/share/javascript, fonts), found
# through apt's dependency lists.
js_deps() { # pkg
	apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks \
		--no-replaces --no-enhances "$1" 2>/dev/null | awk '/^(libjs|fonts|node)-/ {print $1}' | sort -u
}

# finish_debian_image completes a FROM scratch image of Debian binaries staged in $ctx/rootfs:
# their library closure, the httpprobe health check, passwd files; builds it from
# deploy/images/<name>/Dockerfile, checks the binary starts, and drops the image it replaces.
#   finish_debian_image NAME TAG VERSION DIGEST CTX OLD_ID T0 BINARY...
finish_debian_image() {
	local name=$1 tag=$2 version=$3 digest=$4 ctx=$5 old=$6 t0=$7
	shift 7
	local r="$ctx/rootfs"
	lib_closure "$r" "$@"
	static_go_build ./deploy/images/httpprobe "$r/bin/httpprobe"
	passwd_files "$r"
	# A server that refuses root (postgres) brings its user.
	[[ ! -f "$ctx/passwd.add" ]] || cat "$ctx/passwd.add" >>"$r/etc/passwd"
	[[ ! -f "$ctx/group.add" ]] || cat "$ctx/group.add" >>"$r/etc/group"
	docker build -q -f "deploy/images/$name/Dockerfile" -t "$tag" \
		--label "org.opencontainers.image.version=$version" --label "$INPUTS_LABEL=$digest" "$ctx" >/dev/null
	docker run --rm "$tag" --version >/dev/null 2>&1 ||
		{ log "$name in $tag does not start"; docker rmi "$tag" >/dev/null; exit 1; }
	drop_old "$old"
	report "$tag" $((SECONDS - t0))
}

build_prometheus() {
	local digest
	digest="$(inputs_digest deploy/images/prometheus/* deploy/images/httpprobe/*.go libs/service/probe.go)"
	if have_image "$PROMETHEUS_TAG" "$digest"; then log "$PROMETHEUS_TAG is current"; return 0; fi
	local t0=$SECONDS ctx="$STAGE/prometheus" old deb="$STAGE/prometheus/deb" r
	old="$(image_id "$PROMETHEUS_TAG")"
	rm -rf "$ctx" && mkdir -p "$ctx/rootfs/bin" "$ctx/data"
	r="$ctx/rootfs"
	# shellcheck disable=SC2046
	debs_root "$deb" prometheus $(js_deps prometheus)
	deb_version_is prometheus "$PROMETHEUS_VERSION"
	cp "$deb/usr/bin/prometheus" "$deb/usr/bin/promtool" "$r/bin/"
	mkdir -p "$r/usr/share/prometheus" "$r/etc/prometheus"
	# The classic UI: its own files, and of the JavaScript packages it links to only the files its
	# templates load (moment-timezone alone is 200 MB of data builds).
	local web="$deb/usr/share/prometheus/web" f
	(cd "$web" && find . -type f) | while read -r f; do install -D -m 0644 "$web/$f" "$r/usr/share/prometheus/web/$f"; done
	grep -rhoE 'static/[^"?]+' "$web/templates" | sort -u | while read -r f; do
		[[ -e "$r/usr/share/prometheus/web/$f" ]] || install -D -m 0644 "$(readlink -f "$web/$f")" "$r/usr/share/prometheus/web/$f"
	done
	cp -rL "$web/static/vendor/bootstrap4-glyphicons/fonts" "$r/usr/share/prometheus/web/static/vendor/bootstrap4-glyphicons/"
	cp -a "$deb/etc/prometheus/consoles" "$deb/etc/prometheus/console_libraries" "$r/usr/share/prometheus/"
	finish_debian_image prometheus "$PROMETHEUS_TAG" "$PROMETHEUS_VERSION" "$digest" "$ctx" "$old" "$t0" \
		"$r/bin/prometheus" "$r/bin/promtool"
}

build_alertmanager() {
	local digest
	digest="$(inputs_digest deploy/images/alertmanager/* deploy/images/httpprobe/*.go libs/service/probe.go)"
	if have_image "$ALERTMANAGER_TAG" "$digest"; then log "$ALERTMANAGER_TAG is current"; return 0; fi
	local t0=$SECONDS ctx="$STAGE/alertmanager" old deb="$STAGE/alertmanager/deb" r ui
	old="$(image_id "$ALERTMANAGER_TAG")"
	rm -rf "$ctx" && mkdir -p "$ctx/rootfs/bin" "$ctx/data"
	r="$ctx/rootfs"
	debs_root "$deb" prometheus-alertmanager
	deb_version_is prometheus-alertmanager "$ALERTMANAGER_VERSION"
	cp "$deb/usr/bin/prometheus-alertmanager" "$r/bin/alertmanager"
	cp "$deb/usr/bin/amtool" "$r/bin/"
	# Debian's binary serves its UI from this path; the package ships only the placeholder page.
	ui="$r/usr/share/prometheus/alertmanager/ui"
	mkdir -p "$ui"
	cp -a "$deb/usr/share/prometheus/alertmanager/no-ui/." "$ui/"
	cp -a "$deb/usr/share/prometheus/alertmanager/"*.tmpl "$r/usr/share/prometheus/alertmanager/"
	finish_debian_image alertmanager "$ALERTMANAGER_TAG" "$ALERTMANAGER_VERSION" "$digest" "$ctx" "$old" "$t0" \
		"$r/bin/alertmanager" "$r/bin/amtool"
}

# PostgreSQL: the server of Debian's postgresql-15 (postgres, initdb, the share and lib trees),
# run as the postgres user (uid 999, as in the official image) by deploy/images/postgres-entrypoint.
build_postgres() {
	local digest
	digest="$(inputs_digest deploy/images/postgres/* deploy/images/postgres-entrypoint/*.go \
		deploy/images/httpprobe/*.go libs/service/probe.go)"
	if have_image "$POSTGRES_TAG" "$digest"; then log "$POSTGRES_TAG is current"; return 0; fi
	local t0=$SECONDS ctx="$STAGE/postgres" old deb="$STAGE/postgres/deb" r v="$POSTGRES_MAJOR" z
	old="$(image_id "$POSTGRES_TAG")"
	rm -rf "$ctx" && mkdir -p "$ctx/rootfs/usr/local/bin" "$ctx/data"
	r="$ctx/rootfs"
	debs_root "$deb" "postgresql-$v"
	# The library closure is read with the host's ldd: the host needs the package's dependencies.
	if ldd "$deb/usr/lib/postgresql/$v/bin/postgres" | grep -q 'not found'; then apt_install "postgresql-$v"; fi
	mkdir -p "$r/usr/lib/postgresql/$v/bin" "$r/usr/share/postgresql"
	cp "$deb/usr/lib/postgresql/$v/bin/postgres" "$deb/usr/lib/postgresql/$v/bin/initdb" "$r/usr/lib/postgresql/$v/bin/"
	# Extensions and encoding conversions, without the LLVM JIT (jit is off: no libLLVM, 100 MB).
	cp -a "$deb/usr/lib/postgresql/$v/lib" "$r/usr/lib/postgresql/$v/"
	rm -rf "$r/usr/lib/postgresql/$v/lib/"{llvmjit.so,llvmjit_types.bc,bitcode,pgxs}
	# initdb starts postgres through popen(3), i.e. /bin/sh -c: Debian's dash, its only shell use.
	install -D -m 0755 "$(readlink -f /bin/dash)" "$r/bin/sh"
	cp -a "$deb/usr/share/postgresql/$v" "$r/usr/share/postgresql/"
	rm -rf "$r/usr/share/postgresql/$v/man"
	# Debian's build reads the system tzdata; the image runs in UTC (TZ=UTC).
	for z in UTC Etc/UTC; do install -D -m 0644 "/usr/share/zoneinfo/$z" "$r/usr/share/zoneinfo/$z"; done
	printf 'postgres:x:999:999:PostgreSQL:/var/lib/postgresql:/sbin/nologin\n' >"$ctx/passwd.add"
	printf 'postgres:x:999:\n' >"$ctx/group.add"
	static_go_build ./deploy/images/postgres-entrypoint "$r/usr/local/bin/postgres-entrypoint"
	# shellcheck disable=SC2046
	finish_debian_image postgres "$POSTGRES_TAG" "$v" "$digest" "$ctx" "$old" "$t0" \
		"$r/usr/lib/postgresql/$v/bin/postgres" "$r/usr/lib/postgresql/$v/bin/initdb" "$r/bin/sh" \
		$(find "$r/usr/lib/postgresql/$v/lib" -name '*.so')
}

ensure_docker
# Parallel test processes share the staging area: build one image at a time.
mkdir -p "$STAGE"
exec 9>"$STAGE/.lock"
flock 9
case "${1:-all}" in
all) build_kafka; build_toxiproxy ;;
kafka) build_kafka ;;
toxiproxy) build_toxiproxy ;;
prometheus) build_prometheus ;;
alertmanager) build_alertmanager ;;
postgres) build_postgres ;;
*) echo "usage: $0 [all|kafka|toxiproxy|prometheus|alertmanager|postgres]" >&2; exit 2 ;;
esac
