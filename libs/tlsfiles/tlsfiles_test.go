package tlsfiles_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/distsum/distsum/libs/tlsfiles"
	"github.com/distsum/distsum/tests/testkit/pki"
)

var names = tlsfiles.Names{CA: "X_CA_FILE", Cert: "X_CERT_FILE", Key: "X_KEY_FILE"}

func TestClientReadsTheCAAndTheClientCertificate(t *testing.T) {
	dir := t.TempDir()
	ca := pki.NewCA(t, "test CA")
	caFile := ca.WriteCA(t, dir, "ca")
	leaf := ca.Client(t, "client").Write(t, dir, "client")

	c, err := tlsfiles.Client(names, caFile, leaf.CertFile, leaf.KeyFile)
	if err != nil {
		t.Fatal(err)
	}
	if c.RootCAs == nil || !c.RootCAs.Equal(ca.Pool()) {
		t.Fatalf("RootCAs is not the CA file's pool")
	}
	if len(c.Certificates) != 1 || c.Certificates[0].Leaf.SerialNumber.Cmp(leaf.Serial()) != 0 {
		t.Fatalf("client certificate not loaded: %+v", c.Certificates)
	}

	plain, err := tlsfiles.Client(names, "", "", "")
	if err != nil || plain.RootCAs != nil || len(plain.Certificates) != 0 {
		t.Fatalf("no files: want the system's roots and no certificate, got %v, %v", plain, err)
	}
}

func TestErrorsNameTheSetting(t *testing.T) {
	dir := t.TempDir()
	notPEM := filepath.Join(dir, "not.pem")
	if err := os.WriteFile(notPEM, []byte("hello"), 0o600); err != nil {
		t.Fatal(err)
	}
	leaf := pki.NewCA(t, "test CA").Client(t, "client").Write(t, dir, "client")
	for _, tc := range []struct {
		name          string
		ca, cert, key string
		want          []string
	}{
		{"missing CA file", filepath.Join(dir, "nope"), "", "", []string{"X_CA_FILE", "no such file"}},
		{"CA file without PEM", notPEM, "", "", []string{"X_CA_FILE", notPEM, "no PEM certificate"}},
		{"certificate without key", "", leaf.CertFile, "", []string{"X_CERT_FILE and X_KEY_FILE go together"}},
		{"key without certificate", "", "", leaf.KeyFile, []string{"X_CERT_FILE and X_KEY_FILE go together"}},
		{"key that is not a key", "", leaf.CertFile, notPEM, []string{"X_CERT_FILE/X_KEY_FILE"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tlsfiles.Client(names, tc.ca, tc.cert, tc.key)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
}
