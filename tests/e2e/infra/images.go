package infra

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/distsum/distsum/tests/testkit"
)

// Default image tags; KAFKA_IMAGE, TOXIPROXY_IMAGE and POSTGRES_IMAGE override them.
const (
	DefaultKafkaImage     = "distsum/kafka:4.1.1"
	DefaultToxiproxyImage = "distsum/toxiproxy:2.12.0"
	DefaultPostgresImage  = "distsum/postgres:15"
	CalculatorImageTag    = "distsum/calculator:e2e"
	TotalsImageTag        = "distsum/totals:e2e"
	UnsafeTotalsImageTag  = "distsum/totals-unsafe:e2e"
)

// UnsafeDedupeTag is the build tag of the totals test build that can count duplicates
// (TOTALS_UNSAFE_DISABLE_DEDUPE); the service image refuses that setting.
const UnsafeDedupeTag = "distsum_unsafe_disable_dedupe"

// Images names the images a suite runs.
type Images struct {
	Kafka      string
	Toxiproxy  string
	Calculator string // empty from EnsureInfraImages
	Totals     string // empty from EnsureInfraImages
}

var (
	imagesMu   sync.Mutex
	imagesDone = map[string]string{} // build key -> image reference, once per process
)

// KafkaImage is the broker image to run: $KAFKA_IMAGE or distsum/kafka:4.1.1.
func KafkaImage() string { return envOr("KAFKA_IMAGE", DefaultKafkaImage) }

// ToxiproxyImage is the proxy image to run: $TOXIPROXY_IMAGE or distsum/toxiproxy:2.12.0.
func ToxiproxyImage() string { return envOr("TOXIPROXY_IMAGE", DefaultToxiproxyImage) }

// PostgresImage is the database image to run: $POSTGRES_IMAGE or distsum/postgres:15.
func PostgresImage() string { return envOr("POSTGRES_IMAGE", DefaultPostgresImage) }

// EnsurePostgresImage builds the PostgreSQL image when it is missing or stale (as
// EnsureInfraImages does for Kafka and Toxiproxy; only the suites that use the shared outbox need
// it). Another POSTGRES_IMAGE is left to the engine.
func EnsurePostgresImage(t testing.TB) string {
	t.Helper()
	EnsureEngine(t)
	img := PostgresImage()
	if img == DefaultPostgresImage {
		once(t, "postgres", func() (string, error) { return img, buildScript(t, "postgres") })
	}
	return img
}

// EnsureInfraImages builds the Kafka and Toxiproxy images when they are missing or stale
// (scripts/build-images.sh decides). An image named by KAFKA_IMAGE/TOXIPROXY_IMAGE other than
// the defaults is left to the engine (pulled on first use where a registry is reachable).
func EnsureInfraImages(t testing.TB) Images {
	t.Helper()
	EnsureEngine(t)
	imgs := Images{Kafka: KafkaImage(), Toxiproxy: ToxiproxyImage()}
	if imgs.Kafka == DefaultKafkaImage {
		once(t, "kafka", func() (string, error) { return imgs.Kafka, buildScript(t, "kafka") })
	}
	if imgs.Toxiproxy == DefaultToxiproxyImage {
		once(t, "toxiproxy", func() (string, error) { return imgs.Toxiproxy, buildScript(t, "toxiproxy") })
	}
	return imgs
}

// EnsureImages is EnsureInfraImages plus the two service images: loaded from the tarballs named
// by CALCULATOR_IMAGE_TAR and TOTALS_IMAGE_TAR when set (the Bazel-built images), else written
// by the same image writer from `go build` of ./services/calculator and ./services/totals.
func EnsureImages(t testing.TB) Images {
	t.Helper()
	imgs := EnsureInfraImages(t)
	imgs.Calculator = ServiceImage(t, "CALCULATOR_IMAGE_TAR", "./services/calculator", CalculatorImageTag)
	imgs.Totals = ServiceImage(t, "TOTALS_IMAGE_TAR", "./services/totals", TotalsImageTag)
	return imgs
}

// UnsafeTotalsImage is the image of the totals test build that can count duplicates, for the
// negative controls: loaded from the tarball named by TOTALS_UNSAFE_IMAGE_TAR when set (Bazel's
// //services/totals:image_unsafe), else written from `go build -tags distsum_unsafe_disable_dedupe`.
func UnsafeTotalsImage(t testing.TB) string {
	t.Helper()
	if tar := os.Getenv("TOTALS_UNSAFE_IMAGE_TAR"); tar != "" {
		return LoadImageTar(t, tar)
	}
	return goImage(t, "./services/totals", UnsafeTotalsImageTag, UnsafeDedupeTag)
}

// ServiceImage returns the image of one service: the image loaded from the tarball named by the
// environment variable tarEnv if it is set, else GoImage(pkg, tag).
func ServiceImage(t testing.TB, tarEnv, pkg, tag string) string {
	t.Helper()
	if tar := os.Getenv(tarEnv); tar != "" {
		return LoadImageTar(t, tar)
	}
	return GoImage(t, pkg, tag)
}

// GoImage builds `CGO_ENABLED=0 go build pkg` (a package main of this module, e.g.
// ./services/totals) and writes it into an image tagged tag with tools/ociimage, the writer of
// the Bazel images and with their defaults: FROM scratch, the binary at /app as entrypoint,
// user 65532, /tmp and /data (owned by the user). The image is loaded with LoadImageTar. It is
// rebuilt once per test process; an unchanged binary gives the same image.
func GoImage(t testing.TB, pkg, tag string) string {
	t.Helper()
	return goImage(t, pkg, tag, "")
}

// goImage is GoImage of a build with the build tag buildTag (none when empty).
func goImage(t testing.TB, pkg, tag, buildTag string) string {
	t.Helper()
	EnsureEngine(t)
	tar := once(t, "go:"+pkg+":"+tag, func() (string, error) {
		// Not t.TempDir: the image outlives the test that built it first.
		dir, err := os.MkdirTemp("", "distsum-image-")
		if err != nil {
			return "", err
		}
		bin := filepath.Join(dir, "app")
		if err := goBuild(t, bin, pkg, buildTag); err != nil {
			return "", err
		}
		tar := filepath.Join(dir, "image.tar")
		_, err = ociimage(t, "build", "-binary", bin, "-tag", tag, "-dir", "/data",
			"-label", "org.opencontainers.image.title="+filepath.Base(pkg), "-tarball", tar)
		return tar, err
	})
	return LoadImageTar(t, tar)
}

var loadedRe = regexp.MustCompile(`Loaded image(?: ID)?: (\S+)`)

// LoadImageTar loads a docker-loadable tarball (a Bazel image.tar, `docker save`) into the
// engine with `ociimage load`, as `bazel run //services/...:image.load` does, and returns the
// first image reference it holds.
func LoadImageTar(t testing.TB, path string) string {
	t.Helper()
	EnsureEngine(t)
	return once(t, "tar:"+path, func() (string, error) {
		out, err := ociimage(t, "load", "-tarball", path)
		if err != nil {
			return "", err
		}
		m := loadedRe.FindStringSubmatch(out)
		if m == nil {
			return "", fmt.Errorf("load %s: no image in the answer %q", path, out)
		}
		t.Logf("infra: loaded %s from %s", m[1], path)
		return m[1], nil
	})
}

var (
	ociimageMu  sync.Mutex
	ociimageBin string
)

// ociimage runs tools/ociimage with args and returns its standard output: $OCIIMAGE_BIN (the
// Bazel-built tool), else a `go build` of it, once per test process.
func ociimage(t testing.TB, args ...string) (string, error) {
	ociimageMu.Lock()
	bin := ociimageBin
	if bin == "" {
		bin = os.Getenv("OCIIMAGE_BIN")
	}
	if bin == "" {
		dir, err := os.MkdirTemp("", "distsum-ociimage-")
		if err == nil {
			bin = filepath.Join(dir, "ociimage")
			err = goBuild(t, bin, "./tools/ociimage", "")
		}
		if err != nil {
			ociimageMu.Unlock()
			return "", err
		}
	}
	ociimageBin = bin
	ociimageMu.Unlock()
	cmd := exec.Command(bin, args...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("ociimage %s: %w\n%s%s", strings.Join(args, " "), err, out, stderr.String())
	}
	return string(out), nil
}

// goBuild builds a static binary of pkg (a package of this module) at out, with the build tag
// buildTag when it is not empty.
func goBuild(t testing.TB, out, pkg, buildTag string) error {
	args := []string{"build", "-trimpath", "-ldflags=-s -w", "-o", out}
	if buildTag != "" {
		args = append(args, "-tags", buildTag)
	}
	cmd := exec.Command("go", append(args, pkg)...)
	cmd.Dir = testkit.Root(t)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build %s: %w\n%s", pkg, err, b)
	}
	return nil
}

func once(t testing.TB, key string, f func() (string, error)) string {
	t.Helper()
	imagesMu.Lock()
	defer imagesMu.Unlock()
	if ref, ok := imagesDone[key]; ok {
		return ref
	}
	start := time.Now()
	ref, err := f()
	if err != nil {
		t.Fatalf("infra: image %s: %v", key, err)
	}
	t.Logf("infra: image %s ready in %v", ref, time.Since(start).Round(time.Millisecond))
	imagesDone[key] = ref
	return ref
}

// buildScript runs scripts/build-images.sh with the engine of this process.
func buildScript(t testing.TB, args ...string) error {
	root := testkit.Root(t)
	cmd := exec.Command(filepath.Join(root, "scripts", "build-images.sh"), args...)
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("scripts/build-images.sh %s: %w\n%s", strings.Join(args, " "), err, out)
	}
	if s := strings.TrimSpace(string(out)); s != "" {
		t.Logf("infra: %s", s)
	}
	return nil
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}
