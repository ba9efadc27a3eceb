package ctl

import (
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"

	"github.com/distsum/distsum/proto/calculatorpb"
	"github.com/distsum/distsum/tests/testkit/pki"
)

// TestTLSAndClientCertificates: against a calculator and a totals service
// that require a client certificate from their CA (mTLS), distsumctl with
// --tls-ca, --tls-cert and --tls-key adds and reads the total; without the
// client certificate, or with plaintext, it fails with the cause.
func TestTLSAndClientCertificates(t *testing.T) {
	dir := t.TempDir()
	ca := pki.NewCA(t, "services")
	caFile := ca.WriteCA(t, dir, "ca.pem")
	srv := ca.Server(t, time.Hour)
	client := ca.Client(t, "operator").Write(t, dir, "operator")
	serverTLS := &tls.Config{Certificates: []tls.Certificate{srv.TLS}, ClientCAs: ca.Pool(), ClientAuth: tls.RequireAndVerifyClientCert}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	g := grpc.NewServer(grpc.Creds(credentials.NewTLS(serverTLS)))
	calculatorpb.RegisterCalculatorServiceServer(g, &calculator{})
	go g.Serve(ln) //nolint:errcheck // ends with Stop
	t.Cleanup(g.Stop)
	calc := ln.Addr().String()

	h := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "15") }))
	h.TLS = serverTLS
	h.StartTLS()
	t.Cleanup(h.Close)

	withCert := []string{"--tls-ca", caFile, "--tls-cert", client.CertFile, "--tls-key", client.KeyFile}
	if code, out, errOut := run(t, append(withCert, "--calculator", calc, "add", "5", "10")...); code != ExitOK || !strings.HasPrefix(out, "sum       15\n") {
		t.Fatalf("add over mTLS: exit %d %q %q", code, out, errOut)
	}
	if code, out, errOut := run(t, append(withCert, "--totals", h.URL, "total")...); code != ExitOK || out != "15\n" {
		t.Fatalf("total over mTLS: exit %d %q %q", code, out, errOut)
	}
	// Negative controls: no client certificate, and plaintext.
	if code, _, errOut := run(t, "--tls-ca", caFile, "--calculator", calc, "add", "5", "10"); code != ExitFailure || !strings.Contains(errOut, "Unavailable") {
		t.Fatalf("add without a client certificate: exit %d %q", code, errOut)
	}
	if code, _, errOut := run(t, "--tls-ca", caFile, "--totals", h.URL, "total"); code != ExitFailure || !strings.Contains(errOut, "certificate") {
		t.Fatalf("total without a client certificate: exit %d %q", code, errOut)
	}
	if code, _, errOut := run(t, "--calculator", calc, "add", "5", "10"); code != ExitFailure {
		t.Fatalf("plaintext add against a TLS calculator: exit %d %q", code, errOut)
	}
	// Bad settings are usage errors naming the flag.
	if code, _, errOut := run(t, "--tls-cert", client.CertFile, "--calculator", calc, "add", "1", "2"); code != ExitUsage || !strings.Contains(errOut, "--tls-cert and --tls-key") {
		t.Fatalf("--tls-cert alone: exit %d %q", code, errOut)
	}
	if code, _, errOut := run(t, "--tls-ca", dir+"/missing.pem", "total"); code != ExitUsage || !strings.Contains(errOut, "--tls-ca") {
		t.Fatalf("missing CA file: exit %d %q", code, errOut)
	}
}
