package service

import (
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestMain doubles as the subprocess of TestFallbackRootsVerifyWithoutSystemCertificates:
// with DISTSUM_ROOTCHECK_PEM set, this test binary (which links package service, and so
// its CA bundle) only verifies that certificate and exits.
func TestMain(m *testing.M) {
	if path := os.Getenv("DISTSUM_ROOTCHECK_PEM"); path != "" {
		if err := verifyPEM(path); err != nil {
			fmt.Println(err)
			os.Exit(1)
		}
		fmt.Println("OK")
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func verifyPEM(path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	blk, _ := pem.Decode(b)
	if blk == nil {
		return fmt.Errorf("%s: no PEM block", path)
	}
	cert, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		return err
	}
	_, err = cert.Verify(x509.VerifyOptions{}) // the default: the system's roots
	return err
}

// TestFallbackRootsVerifyWithoutSystemCertificates: in a process that finds no system
// certificates (as in the FROM scratch images), a public root (ISRG Root X1, Let's
// Encrypt's) verifies with default options because package service links a CA bundle.
// Negative control: the same check in a program without the bundle fails.
func TestFallbackRootsVerifyWithoutSystemCertificates(t *testing.T) {
	pemPath, err := filepath.Abs(filepath.Join("testdata", "isrg-root-x1.pem"))
	if err != nil {
		t.Fatal(err)
	}
	empty := t.TempDir()
	noSystemRoots := []string{"SSL_CERT_FILE=" + filepath.Join(empty, "none.pem"), "SSL_CERT_DIR=" + empty}
	run := func(bin string, args []string, env ...string) (string, error) {
		cmd := exec.Command(bin, args...)
		cmd.Env = append(append(os.Environ(), noSystemRoots...), env...)
		out, err := cmd.CombinedOutput()
		return strings.TrimSpace(string(out)), err
	}

	out, err := run(os.Args[0], nil, "DISTSUM_ROOTCHECK_PEM="+pemPath)
	if err != nil || out != "OK" {
		t.Fatalf("with the CA bundle and no system certificates: %v, %q; want OK", err, out)
	}

	// The negative control builds a program of this module without the bundle: it needs the go
	// command and the module's source (not there in a Bazel sandbox).
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("negative control: no go command to build a program without the bundle")
	}
	if gomod, err := exec.Command(goBin, "env", "GOMOD").Output(); err != nil || !strings.HasSuffix(strings.TrimSpace(string(gomod)), "go.mod") {
		t.Skip("negative control: not in the module's source tree")
	}
	bin := filepath.Join(t.TempDir(), "rootcheck")
	build := exec.Command(goBin, "build", "-o", bin, "./testdata/rootcheck")
	if b, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./testdata/rootcheck: %v\n%s", err, b)
	}
	out, err = run(bin, []string{pemPath})
	if err == nil || !strings.Contains(out, "certificate signed by unknown authority") {
		t.Fatalf("without the CA bundle: %v, %q; want certificate signed by unknown authority", err, out)
	}
}
