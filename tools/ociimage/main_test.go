package main

import (
	"archive/tar"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

func testSpec(bin string) Spec {
	return Spec{
		Binary:     []byte(bin),
		Entrypoint: "/app",
		Ports:      []string{"9090/tcp", "8081/tcp"},
		Labels:     map[string]string{"org.opencontainers.image.title": "calculator"},
		UID:        65532,
		GID:        65532,
		Dirs:       []string{"/data"},
		Created:    time.Unix(0, 0).UTC(),
		OS:         "linux",
		Arch:       "amd64",
		WorkDir:    "/",
	}
}

func TestBuildIsReproducible(t *testing.T) {
	a, err := Build(testSpec("binary-1"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := Build(testSpec("binary-1"))
	if err != nil {
		t.Fatal(err)
	}
	c, err := Build(testSpec("binary-2"))
	if err != nil {
		t.Fatal(err)
	}
	da, _ := a.Digest()
	db, _ := b.Digest()
	dc, _ := c.Digest()
	if da != db {
		t.Fatalf("same inputs, different digests: %s vs %s", da, db)
	}
	if da == dc {
		t.Fatalf("different binaries, same digest %s", da)
	}
}

func TestConfig(t *testing.T) {
	img, err := Build(testSpec("x"))
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if cf.Config.User != "65532:65532" {
		t.Errorf("user = %q", cf.Config.User)
	}
	if len(cf.Config.Entrypoint) != 1 || cf.Config.Entrypoint[0] != "/app" {
		t.Errorf("entrypoint = %v", cf.Config.Entrypoint)
	}
	if _, ok := cf.Config.ExposedPorts["9090/tcp"]; !ok {
		t.Errorf("ports = %v", cf.Config.ExposedPorts)
	}
	if !cf.Created.Time.Equal(time.Unix(0, 0)) {
		t.Errorf("created = %v", cf.Created)
	}
	if cf.Config.Labels["org.opencontainers.image.title"] != "calculator" {
		t.Errorf("labels = %v", cf.Config.Labels)
	}
}

func TestLayerContents(t *testing.T) {
	img, err := Build(testSpec("payload"))
	if err != nil {
		t.Fatal(err)
	}
	layers, err := img.Layers()
	if err != nil || len(layers) != 1 {
		t.Fatalf("layers: %v %d", err, len(layers))
	}
	rc, err := layers[0].Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	tr := tar.NewReader(rc)
	got := map[string]*tar.Header{}
	var app []byte
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got[h.Name] = h
		if h.Name == "app" {
			app, _ = io.ReadAll(tr)
		}
	}
	if string(app) != "payload" || got["app"].Mode != 0o755 || got["app"].Uid != 0 {
		t.Errorf("app entry wrong: %+v %q", got["app"], app)
	}
	if h := got["data/"]; h == nil || h.Uid != 65532 || h.Gid != 65532 {
		t.Errorf("data dir wrong: %+v", h)
	}
	if h := got["tmp/"]; h == nil || h.Mode != 0o1777 {
		t.Errorf("tmp dir wrong: %+v", h)
	}
	for n, h := range got {
		if !h.ModTime.Equal(time.Unix(0, 0)) {
			t.Errorf("%s has mtime %v", n, h.ModTime)
		}
	}
}

func TestWriteOutputs(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "bin")
	if err := os.WriteFile(bin, []byte("static binary"), 0o755); err != nil {
		t.Fatal(err)
	}
	run := func(sub string) (tarBytes []byte, digest string) {
		out := filepath.Join(dir, sub)
		if err := os.MkdirAll(out, 0o755); err != nil {
			t.Fatal(err)
		}
		err := runBuild([]string{"-binary", bin, "-tag", "distsum/test:latest", "-port", "8080",
			"-dir", "/data", "-tarball", filepath.Join(out, "image.tar"),
			"-layout", filepath.Join(out, "layout"), "-digest-file", filepath.Join(out, "digest")})
		if err != nil {
			t.Fatal(err)
		}
		tb, err := os.ReadFile(filepath.Join(out, "image.tar"))
		if err != nil {
			t.Fatal(err)
		}
		d, err := os.ReadFile(filepath.Join(out, "digest"))
		if err != nil {
			t.Fatal(err)
		}
		return tb, string(d)
	}
	t1, d1 := run("one")
	t2, d2 := run("two")
	if d1 != d2 || !bytes.Equal(t1, t2) {
		t.Fatalf("outputs differ between identical runs: %s vs %s", d1, d2)
	}
	tag, _ := name.NewTag("distsum/test:latest")
	img, err := tarball.ImageFromPath(filepath.Join(dir, "one", "image.tar"), &tag)
	if err != nil {
		t.Fatal(err)
	}
	// A docker tarball keeps the config, not the manifest: compare image IDs.
	ct, _ := img.ConfigName()
	lp, err := layout.FromPath(filepath.Join(dir, "one", "layout"))
	if err != nil {
		t.Fatal(err)
	}
	idx, err := lp.ImageIndex()
	if err != nil {
		t.Fatal(err)
	}
	im, err := idx.IndexManifest()
	if err != nil || len(im.Manifests) != 1 {
		t.Fatalf("index: %v %+v", err, im)
	}
	if got := im.Manifests[0].Digest.String() + "\n"; got != d1 {
		t.Errorf("layout digest %s != digest file %s", got, d1)
	}
	li, err := lp.Image(im.Manifests[0].Digest)
	if err != nil {
		t.Fatal(err)
	}
	cl, _ := li.ConfigName()
	if ct != cl {
		t.Errorf("tarball image ID %s != layout image ID %s", ct, cl)
	}
}

func TestRejectsDynamicBinary(t *testing.T) {
	// The test binary itself: static or not depends on the build, so only
	// check that a known-dynamic system binary is refused when present.
	const dyn = "/bin/sh"
	b, err := os.ReadFile(dyn)
	if err != nil || elfInterpreter(b) == "" {
		t.Skip("no dynamically linked /bin/sh here")
	}
	dir := t.TempDir()
	err = runBuild([]string{"-binary", dyn, "-tag", "distsum/test:latest", "-digest-file", filepath.Join(dir, "d")})
	if err == nil {
		t.Fatal("a dynamic binary was accepted")
	}
}
