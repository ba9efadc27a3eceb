// Command ociimage writes a reproducible `FROM scratch` container image around
// one static binary, without a container engine or a registry:
//
//	ociimage build -binary bazel-bin/services/calculator/calculator_/calculator \
//	    -tag distsum/calculator:latest -port 9090 -port 8081 \
//	    -label org.opencontainers.image.title=calculator \
//	    -tarball calculator.tar -layout calculator_oci -digest-file calculator.digest
//
// writes a `docker load`-able tarball and/or an OCI image layout directory.
// Every timestamp is fixed (-created, default the Unix epoch or
// $SOURCE_DATE_EPOCH), file owners and modes are fixed and entries are sorted,
// so the same binary and flags always give the same image digest.
//
// The image holds the binary at /app (the entrypoint), /tmp (1777), the
// directories named by -dir owned by the image user, and /etc/passwd and
// /etc/group naming the user (65532, "nonroot", by default).
//
//	ociimage load -tarball calculator.tar
//
// loads a tarball into the engine at $DOCKER_HOST (unix:// or tcp://) through
// the engine API, like `docker load`, without needing the docker CLI.
//
//	ociimage digest -layout calculator_oci
//
// prints the manifest digest recorded in an OCI layout.
package main

import (
	"archive/tar"
	"bufio"
	"bytes"
	"context"
	"debug/elf"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

func main() {
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, nil)))
	if len(os.Args) < 2 {
		usage()
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "build":
		err = runBuild(os.Args[2:])
	case "load":
		err = runLoad(os.Args[2:])
	case "digest":
		err = runDigest(os.Args[2:])
	case "-h", "-help", "--help", "help":
		usage()
		return
	default:
		// "ociimage -binary ..." is "ociimage build -binary ...".
		if strings.HasPrefix(os.Args[1], "-") {
			err = runBuild(os.Args[1:])
		} else {
			usage()
			os.Exit(2)
		}
	}
	if err != nil {
		slog.Error("ociimage failed", "cmd", os.Args[1], "err", err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, `usage:
  ociimage build -binary FILE -tag REPO:TAG [-port N[/proto]]... [-label K=V]... [-env K=V]...
                 [-user UID[:GID]] [-dir /path]... [-arg ARG]... [-created UNIX_SECONDS]
                 [-platform OS/ARCH] [-tarball OUT.tar] [-layout OUT_DIR] [-digest-file OUT]
  ociimage load -tarball FILE [-host unix:///path/docker.sock]   (default $DOCKER_HOST)
  ociimage digest -layout DIR`)
}

// multiFlag collects a repeated string flag.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

// Spec is everything that determines an image.
type Spec struct {
	Binary     []byte
	Entrypoint string // path of the binary inside the image
	Args       []string
	Ports      []string // "9090/tcp"
	Labels     map[string]string
	Env        []string
	UID, GID   int
	Dirs       []string // owned by UID:GID
	Created    time.Time
	OS, Arch   string
	WorkDir    string
}

func runBuild(args []string) error {
	fs := flag.NewFlagSet("build", flag.ContinueOnError)
	var (
		binary     = fs.String("binary", "", "static binary to put in the image (required)")
		entrypoint = fs.String("entrypoint", "/app", "path of the binary in the image")
		tag        = fs.String("tag", "", "image reference written into the tarball/layout, e.g. distsum/calculator:latest (required)")
		user       = fs.String("user", "65532:65532", "UID[:GID] the image runs as")
		created    = fs.String("created", "", "creation time, Unix seconds (default $SOURCE_DATE_EPOCH or 0)")
		platform   = fs.String("platform", runtime.GOOS+"/"+runtime.GOARCH, "OS/ARCH of the binary")
		workdir    = fs.String("workdir", "/", "working directory")
		tarOut     = fs.String("tarball", "", "write a docker-loadable tarball here")
		layoutOut  = fs.String("layout", "", "write an OCI image layout into this directory (must be empty or absent)")
		digestOut  = fs.String("digest-file", "", "write the manifest digest (sha256:...) here")
		allowDyn   = fs.Bool("allow-dynamic", false, "accept a dynamically linked ELF binary (it will not run FROM scratch)")
		ports      multiFlag
		labels     multiFlag
		envs       multiFlag
		dirs       multiFlag
		cmdArgs    multiFlag
	)
	fs.Var(&ports, "port", "exposed port, N or N/proto (repeatable)")
	fs.Var(&labels, "label", "label K=V (repeatable)")
	fs.Var(&envs, "env", "environment variable K=V (repeatable)")
	fs.Var(&dirs, "dir", "directory created in the image, owned by the image user (repeatable)")
	fs.Var(&cmdArgs, "arg", "default argument after the entrypoint (repeatable)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *binary == "" || *tag == "" {
		return errors.New("-binary and -tag are required")
	}
	if *tarOut == "" && *layoutOut == "" && *digestOut == "" {
		return errors.New("nothing to write: give -tarball, -layout and/or -digest-file")
	}
	ref, err := name.NewTag(*tag)
	if err != nil {
		return fmt.Errorf("bad -tag: %w", err)
	}
	bin, err := os.ReadFile(*binary)
	if err != nil {
		return err
	}
	if !*allowDyn {
		if interp := elfInterpreter(bin); interp != "" {
			return fmt.Errorf("%s is dynamically linked (interpreter %s): a FROM scratch image needs a static binary (go_binary pure = \"on\", static = \"on\", or CGO_ENABLED=0)", *binary, interp)
		}
	}
	spec := Spec{
		Binary:     bin,
		Entrypoint: *entrypoint,
		Args:       cmdArgs,
		Env:        envs,
		Dirs:       dirs,
		WorkDir:    *workdir,
		Labels:     map[string]string{},
	}
	if spec.UID, spec.GID, err = parseUser(*user); err != nil {
		return err
	}
	if spec.Created, err = parseCreated(*created); err != nil {
		return err
	}
	osArch := strings.SplitN(*platform, "/", 2)
	if len(osArch) != 2 {
		return fmt.Errorf("bad -platform %q, want OS/ARCH", *platform)
	}
	spec.OS, spec.Arch = osArch[0], osArch[1]
	for _, p := range ports {
		if !strings.Contains(p, "/") {
			p += "/tcp"
		}
		if _, err := strconv.Atoi(strings.SplitN(p, "/", 2)[0]); err != nil {
			return fmt.Errorf("bad -port %q", p)
		}
		spec.Ports = append(spec.Ports, p)
	}
	for _, l := range labels {
		k, v, ok := strings.Cut(l, "=")
		if !ok || k == "" {
			return fmt.Errorf("bad -label %q, want K=V", l)
		}
		spec.Labels[k] = v
	}

	img, err := Build(spec)
	if err != nil {
		return err
	}
	digest, err := img.Digest()
	if err != nil {
		return err
	}
	cfgName, err := img.ConfigName()
	if err != nil {
		return err
	}
	if *tarOut != "" {
		if err := writeTarball(*tarOut, ref, img); err != nil {
			return err
		}
	}
	if *layoutOut != "" {
		if err := writeLayout(*layoutOut, ref, img); err != nil {
			return err
		}
	}
	if *digestOut != "" {
		if err := os.WriteFile(*digestOut, []byte(digest.String()+"\n"), 0o644); err != nil {
			return err
		}
	}
	size, err := imageSize(img)
	if err != nil {
		return err
	}
	fmt.Printf("image %s manifest %s config %s compressed-size %d\n", ref.String(), digest, cfgName, size)
	return nil
}

// elfInterpreter returns the program interpreter of an ELF executable, "" for
// a static one or a file that is not ELF.
func elfInterpreter(b []byte) string {
	f, err := elf.NewFile(bytes.NewReader(b))
	if err != nil {
		return ""
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			data := make([]byte, p.Filesz)
			if _, err := p.ReadAt(data, 0); err != nil {
				return "unknown"
			}
			return strings.TrimRight(string(data), "\x00")
		}
	}
	return ""
}

func parseUser(s string) (uid, gid int, err error) {
	u, g, hasGroup := strings.Cut(s, ":")
	if uid, err = strconv.Atoi(u); err != nil || uid < 0 {
		return 0, 0, fmt.Errorf("bad -user %q: want numeric UID[:GID]", s)
	}
	gid = uid
	if hasGroup {
		if gid, err = strconv.Atoi(g); err != nil || gid < 0 {
			return 0, 0, fmt.Errorf("bad -user %q: want numeric UID[:GID]", s)
		}
	}
	return uid, gid, nil
}

func parseCreated(s string) (time.Time, error) {
	if s == "" {
		s = os.Getenv("SOURCE_DATE_EPOCH")
	}
	if s == "" {
		return time.Unix(0, 0).UTC(), nil
	}
	sec, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("bad creation time %q: want Unix seconds", s)
	}
	return time.Unix(sec, 0).UTC(), nil
}

// Build assembles the image described by spec. It does no I/O.
func Build(spec Spec) (v1.Image, error) {
	layerTar, err := rootfsTar(spec)
	if err != nil {
		return nil, err
	}
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(layerTar)), nil
	}, tarball.WithMediaType(types.OCILayer))
	if err != nil {
		return nil, err
	}
	base := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	base = mutate.ConfigMediaType(base, types.OCIConfigJSON)
	img, err := mutate.Append(base, mutate.Addendum{
		Layer: layer,
		History: v1.History{
			Created:   v1.Time{Time: spec.Created},
			CreatedBy: "ociimage: COPY binary " + spec.Entrypoint,
		},
	})
	if err != nil {
		return nil, err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.OS = spec.OS
	cf.Architecture = spec.Arch
	cf.Created = v1.Time{Time: spec.Created}
	cf.Config.Entrypoint = []string{spec.Entrypoint}
	cf.Config.Cmd = spec.Args
	cf.Config.User = fmt.Sprintf("%d:%d", spec.UID, spec.GID)
	cf.Config.WorkingDir = spec.WorkDir
	cf.Config.Env = append([]string{"PATH=/"}, spec.Env...)
	if len(spec.Labels) > 0 {
		cf.Config.Labels = spec.Labels
	}
	if len(spec.Ports) > 0 {
		cf.Config.ExposedPorts = map[string]struct{}{}
		for _, p := range spec.Ports {
			cf.Config.ExposedPorts[p] = struct{}{}
		}
	}
	return mutate.ConfigFile(img, cf)
}

// rootfsTar is the single layer: sorted entries, fixed owners, modes and times.
func rootfsTar(spec Spec) ([]byte, error) {
	type entry struct {
		hdr  tar.Header
		data []byte
	}
	mt := spec.Created
	dir := func(p string, mode int64, uid, gid int) entry {
		return entry{hdr: tar.Header{Typeflag: tar.TypeDir, Name: p + "/", Mode: mode, Uid: uid, Gid: gid, ModTime: mt}}
	}
	file := func(p string, mode int64, data []byte) entry {
		return entry{hdr: tar.Header{Typeflag: tar.TypeReg, Name: p, Mode: mode, Size: int64(len(data)), ModTime: mt}, data: data}
	}
	passwd := fmt.Sprintf("root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:%d:%d:nonroot:/home/nonroot:/sbin/nologin\n", spec.UID, spec.GID)
	group := fmt.Sprintf("root:x:0:\nnonroot:x:%d:\n", spec.GID)
	entries := map[string]entry{}
	add := func(e entry) { entries[strings.TrimSuffix(e.hdr.Name, "/")] = e }
	// Parent directories of everything we add, root-owned.
	addParents := func(p string) {
		for d := path.Dir(p); d != "." && d != "/" && d != ""; d = path.Dir(d) {
			if _, ok := entries[d]; !ok {
				add(dir(d, 0o755, 0, 0))
			}
		}
	}
	clean := func(p string) (string, error) {
		c := strings.TrimPrefix(path.Clean("/"+p), "/")
		if c == "" {
			return "", fmt.Errorf("bad path %q", p)
		}
		return c, nil
	}
	ep, err := clean(spec.Entrypoint)
	if err != nil {
		return nil, err
	}
	add(file(ep, 0o755, spec.Binary))
	addParents(ep)
	add(dir("etc", 0o755, 0, 0))
	add(file("etc/passwd", 0o644, []byte(passwd)))
	add(file("etc/group", 0o644, []byte(group)))
	add(dir("tmp", 0o1777, 0, 0))
	for _, d := range spec.Dirs {
		c, err := clean(d)
		if err != nil {
			return nil, err
		}
		addParents(c)
		add(dir(c, 0o755, spec.UID, spec.GID))
	}
	names := make([]string, 0, len(entries))
	for n := range entries {
		names = append(names, n)
	}
	sort.Strings(names)
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, n := range names {
		e := entries[n]
		e.hdr.Format = tar.FormatPAX
		if err := tw.WriteHeader(&e.hdr); err != nil {
			return nil, err
		}
		if len(e.data) > 0 {
			if _, err := tw.Write(e.data); err != nil {
				return nil, err
			}
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func writeTarball(p string, ref name.Tag, img v1.Image) error {
	tmp := p + ".tmp"
	if err := tarball.WriteToFile(tmp, ref, img); err != nil {
		os.Remove(tmp)
		return err
	}
	return os.Rename(tmp, p)
}

func writeLayout(dir string, ref name.Tag, img v1.Image) error {
	if ents, err := os.ReadDir(dir); err == nil && len(ents) > 0 {
		return fmt.Errorf("layout directory %s is not empty", dir)
	}
	lp, err := layout.Write(dir, empty.Index)
	if err != nil {
		return err
	}
	return lp.AppendImage(img, layout.WithAnnotations(map[string]string{
		"org.opencontainers.image.ref.name": ref.TagStr(),
		"io.containerd.image.name":          containerdName(ref),
	}))
}

// containerdName is the fully qualified name containerd and podman expect,
// e.g. docker.io/distsum/calculator:latest.
func containerdName(ref name.Tag) string {
	reg := ref.RegistryStr()
	if reg == name.DefaultRegistry {
		reg = "docker.io"
	}
	return reg + "/" + ref.RepositoryStr() + ":" + ref.TagStr()
}

func imageSize(img v1.Image) (int64, error) {
	m, err := img.Manifest()
	if err != nil {
		return 0, err
	}
	n := m.Config.Size
	for _, l := range m.Layers {
		n += l.Size
	}
	return n, nil
}

func runDigest(args []string) error {
	fs := flag.NewFlagSet("digest", flag.ContinueOnError)
	dir := fs.String("layout", "", "OCI layout directory")
	if err := fs.Parse(args); err != nil {
		return err
	}
	lp, err := layout.FromPath(*dir)
	if err != nil {
		return err
	}
	idx, err := lp.ImageIndex()
	if err != nil {
		return err
	}
	m, err := idx.IndexManifest()
	if err != nil {
		return err
	}
	for _, d := range m.Manifests {
		fmt.Println(d.Digest.String())
	}
	return nil
}

func runLoad(args []string) error {
	fs := flag.NewFlagSet("load", flag.ContinueOnError)
	tarPath := fs.String("tarball", "", "docker-loadable tarball (required)")
	host := fs.String("host", os.Getenv("DOCKER_HOST"), "engine address, unix:///path or tcp://127.0.0.1:PORT")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *tarPath == "" {
		return errors.New("-tarball is required")
	}
	if *host == "" {
		*host = "unix:///var/run/docker.sock"
	}
	client, base, err := engineClient(*host)
	if err != nil {
		return err
	}
	f, err := os.Open(*tarPath)
	if err != nil {
		return err
	}
	defer f.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/images/load?quiet=1", f)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-tar")
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("engine at %s: %w", *host, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return fmt.Errorf("engine at %s: %s: %s", *host, resp.Status, strings.TrimSpace(string(b)))
	}
	loaded := false
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		var msg struct {
			Stream string `json:"stream"`
			Error  string `json:"error"`
		}
		if json.Unmarshal(sc.Bytes(), &msg) != nil {
			continue
		}
		if msg.Error != "" {
			return fmt.Errorf("load: %s", msg.Error)
		}
		if s := strings.TrimSpace(msg.Stream); s != "" {
			fmt.Println(s)
			loaded = loaded || strings.HasPrefix(s, "Loaded image")
		}
	}
	if err := sc.Err(); err != nil {
		return err
	}
	if !loaded {
		return errors.New("load: the engine reported no loaded image")
	}
	return nil
}

// engineClient returns an HTTP client and base URL for a DOCKER_HOST value.
func engineClient(host string) (*http.Client, string, error) {
	u, err := url.Parse(host)
	if err != nil {
		return nil, "", fmt.Errorf("bad engine address %q: %w", host, err)
	}
	switch u.Scheme {
	case "unix":
		sock := u.Path
		tr := &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", sock)
		}}
		return &http.Client{Transport: tr}, "http://engine", nil
	case "tcp", "http":
		return &http.Client{}, "http://" + u.Host, nil
	default:
		return nil, "", fmt.Errorf("unsupported engine address %q (want unix:// or tcp://)", host)
	}
}
