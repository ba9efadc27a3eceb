package infra

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"
)

// Default image tags; KAFKA_IMAGE and TOXIPROXY_IMAGE override them.
const (
	DefaultKafkaImage     = "distsum/kafka:4.1.1"
	DefaultToxiproxyImage = "distsum/toxiproxy:2.12.0"
	CalculatorImageTag    = "distsum/calculator:e2e"
	TotalsImageTag        = "distsum/totals:e2e"
)

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
// by CALCULATOR_IMAGE_TAR and TOTALS_IMAGE_TAR when set, else built from ./services/calculator
// and ./services/totals as static binaries in FROM scratch images.
func EnsureImages(t testing.TB) Images {
	t.Helper()
	imgs := EnsureInfraImages(t)
	imgs.Calculator = ServiceImage(t, "CALCULATOR_IMAGE_TAR", "./services/calculator", CalculatorImageTag)
	imgs.Totals = ServiceImage(t, "TOTALS_IMAGE_TAR", "./services/totals", TotalsImageTag)
	return imgs
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
// ./services/totals, or a module path) into a FROM scratch image tagged tag whose entrypoint is
// the binary (/app; /tmp and /data exist). It is rebuilt once per test process; an unchanged
// binary gives the same image.
func GoImage(t testing.TB, pkg, tag string) string {
	t.Helper()
	EnsureEngine(t)
	return once(t, "go:"+pkg+":"+tag, func() (string, error) { return tag, buildScript(t, "go", pkg, tag) })
}

var loadedRe = regexp.MustCompile(`Loaded image(?: ID)?: (\S+)`)

// LoadImageTar loads a docker-loadable tarball (docker save, or an OCI/docker archive written
// by go-containerregistry) and returns the first image reference it holds.
func LoadImageTar(t testing.TB, path string) string {
	t.Helper()
	EnsureEngine(t)
	return once(t, "tar:"+path, func() (string, error) {
		f, err := os.Open(path)
		if err != nil {
			return "", err
		}
		defer f.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		cli, err := testcontainers.NewDockerClientWithOpts(ctx)
		if err != nil {
			return "", err
		}
		defer cli.Close()
		res, err := cli.ImageLoad(ctx, f, client.ImageLoadWithQuiet(true))
		if err != nil {
			return "", fmt.Errorf("load %s: %w", path, err)
		}
		defer res.Close()
		ref := ""
		sc := bufio.NewScanner(res)
		for sc.Scan() {
			var msg struct {
				Stream      string `json:"stream"`
				Error       string `json:"error"`
				ErrorDetail struct {
					Message string `json:"message"`
				} `json:"errorDetail"`
			}
			if json.Unmarshal(sc.Bytes(), &msg) != nil {
				continue
			}
			if msg.Error != "" {
				return "", fmt.Errorf("load %s: %s", path, msg.Error)
			}
			if m := loadedRe.FindStringSubmatch(msg.Stream); m != nil && ref == "" {
				ref = m[1]
			}
		}
		if err := sc.Err(); err != nil {
			return "", err
		}
		if ref == "" {
			return "", fmt.Errorf("load %s: no image in the archive", path)
		}
		t.Logf("infra: loaded %s from %s", ref, path)
		return ref, nil
	})
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
	root := RepoRoot(t)
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
