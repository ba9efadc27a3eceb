package service

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"log"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	grpchealth "google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"

	"github.com/distsum/distsum/libs/config"
	"github.com/distsum/distsum/tests/testkit/pki"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// tlsFiles parses the settings as a service would, from env.
func tlsFiles(t *testing.T, env map[string]string) TLSFiles {
	t.Helper()
	for k, v := range env {
		t.Setenv(k, v)
	}
	var f TLSFiles
	s := config.New("svc")
	f.Flags(s, "SVC")
	if err := s.Parse(nil); err != nil {
		t.Fatal(err)
	}
	return f
}

func newTestTLS(t *testing.T, f TLSFiles) (*TLS, *prometheus.Registry) {
	t.Helper()
	reg := prometheus.NewRegistry()
	tl, err := NewTLS(f, reg, quiet)
	if err != nil {
		t.Fatal(err)
	}
	return tl, reg
}

// serveTLS serves a counting handler on a loopback listener made TLS by tl.
func serveTLS(t *testing.T, tl *TLS, requireClient bool) (addr string, hits *atomic.Int64) {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hits = new(atomic.Int64)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		hits.Add(1)
		io.WriteString(w, "42") //nolint:errcheck
	}), ErrorLog: log.New(io.Discard, "", 0), ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(tl.Listener(lis, requireClient)) //nolint:errcheck // closed below
	t.Cleanup(func() { srv.Close() })
	return lis.Addr().String(), hits
}

// fetchTLS makes one HTTP/1.1 request on a new connection; it returns the
// served certificate's serial. (HTTP/1.1: Go's HTTP/2 client reports a
// connection refused during its set-up without the TLS alert that says why.)
func fetchTLS(url string, cfg *tls.Config) (*big.Int, *http.Response, error) {
	c := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: cfg, DisableKeepAlives: true}}
	resp, err := c.Get(url)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body) //nolint:errcheck
	if resp.TLS == nil {
		return nil, resp, nil
	}
	return resp.TLS.PeerCertificates[0].SerialNumber, resp, nil
}

func TestTLSServesTheCertificateAndRefusesPlaintext(t *testing.T) {
	dir := t.TempDir()
	ca := pki.NewCA(t, "server CA")
	leaf := ca.Server(t, 48*time.Hour).Write(t, dir, "server")
	tl, reg := newTestTLS(t, tlsFiles(t, map[string]string{"SVC_TLS_CERT_FILE": leaf.CertFile, "SVC_TLS_KEY_FILE": leaf.KeyFile}))
	addr, hits := serveTLS(t, tl, true)

	serial, resp, err := fetchTLS("https://"+addr+"/", &tls.Config{RootCAs: ca.Pool()})
	if err != nil {
		t.Fatalf("TLS client: %v", err)
	}
	if resp.StatusCode != 200 || serial.Cmp(leaf.Serial()) != 0 {
		t.Fatalf("status %d serial %v, want 200 and %v", resp.StatusCode, serial, leaf.Serial())
	}
	h2 := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: ca.Pool()}, ForceAttemptHTTP2: true}}
	if r, err := h2.Get("https://" + addr + "/"); err != nil || r.Proto != "HTTP/2.0" {
		t.Fatalf("HTTP/2 client: %v, want HTTP/2 negotiated", err)
	} else {
		r.Body.Close()
	}
	// Without a client CA no client certificate is asked for, even on the API.
	if hits.Load() != 2 {
		t.Fatalf("%d requests served, want 2", hits.Load())
	}
	if _, _, err := fetchTLS("https://"+addr+"/", &tls.Config{RootCAs: x509.NewCertPool()}); err == nil || !strings.Contains(err.Error(), "unknown authority") {
		t.Fatalf("a client that does not trust the CA: %v, want unknown authority", err)
	}
	_, resp, err = fetchTLS("http://"+addr+"/", nil)
	if err != nil {
		t.Fatalf("plaintext client: %v", err)
	}
	if resp.StatusCode != http.StatusBadRequest || hits.Load() != 2 {
		t.Fatalf("plaintext request: status %d, %d served; want 400 and not served", resp.StatusCode, hits.Load())
	}
	want := float64(leaf.Cert.NotAfter.Unix())
	if got := gaugeValue(t, reg, "tls_certificate_expiry_timestamp_seconds"); got != want {
		t.Fatalf("expiry gauge %v, want %v", got, want)
	}
}

func TestMTLSRequiresAClientCertificateFromTheCA(t *testing.T) {
	dir := t.TempDir()
	ca, clientCA, otherCA := pki.NewCA(t, "server CA"), pki.NewCA(t, "client CA"), pki.NewCA(t, "other CA")
	leaf := ca.Server(t, time.Hour).Write(t, dir, "server")
	tl, _ := newTestTLS(t, tlsFiles(t, map[string]string{"SVC_TLS_CERT_FILE": leaf.CertFile, "SVC_TLS_KEY_FILE": leaf.KeyFile,
		"SVC_TLS_CLIENT_CA_FILE": clientCA.WriteCA(t, dir, "clients.pem")}))
	api, apiHits := serveTLS(t, tl, true)
	ops, opsHits := serveTLS(t, tl, false)
	good, stranger := clientCA.Client(t, "good"), otherCA.Client(t, "stranger")
	// A server certificate from the right CA is no client certificate either.
	serverAsClient := clientCA.Server(t, time.Hour)

	for _, tc := range []struct {
		name   string
		certs  []tls.Certificate
		errHas string
	}{
		{"no client certificate", nil, "remote error: tls: certificate required"},
		{"a certificate from another CA", []tls.Certificate{stranger.TLS}, "remote error: tls: bad certificate"},
		{"a certificate not for client authentication", []tls.Certificate{serverAsClient.TLS}, "remote error: tls: bad certificate"},
	} {
		// The client reads the server's alert, not a reset (lingerConn).
		_, _, err := fetchTLS("https://"+api+"/", &tls.Config{RootCAs: ca.Pool(), Certificates: tc.certs})
		if err == nil || !strings.Contains(err.Error(), tc.errHas) {
			t.Errorf("%s: %v, want an error with %q", tc.name, err, tc.errHas)
		}
	}
	if apiHits.Load() != 0 {
		t.Fatalf("%d requests served without a valid client certificate", apiHits.Load())
	}
	if _, resp, err := fetchTLS("https://"+api+"/", &tls.Config{RootCAs: ca.Pool(), Certificates: []tls.Certificate{good.TLS}}); err != nil || resp.StatusCode != 200 {
		t.Fatalf("a client certificate from the CA: %v", err)
	}
	// The ops listener (probes, Prometheus) asks no client certificate.
	if _, resp, err := fetchTLS("https://"+ops+"/", &tls.Config{RootCAs: ca.Pool()}); err != nil || resp.StatusCode != 200 || opsHits.Load() != 1 {
		t.Fatalf("ops listener without a client certificate: %v", err)
	}
}

func TestGRPCOverMTLS(t *testing.T) {
	dir := t.TempDir()
	ca, clientCA := pki.NewCA(t, "server CA"), pki.NewCA(t, "client CA")
	leaf := ca.Server(t, time.Hour).Write(t, dir, "server")
	tl, _ := newTestTLS(t, tlsFiles(t, map[string]string{"SVC_TLS_CERT_FILE": leaf.CertFile, "SVC_TLS_KEY_FILE": leaf.KeyFile,
		"SVC_TLS_CLIENT_CA_FILE": clientCA.WriteCA(t, dir, "clients.pem")}))
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer(grpc.Creds(tl.GRPCCredentials()))
	healthpb.RegisterHealthServer(srv, grpchealth.NewServer())
	go srv.Serve(NewConnLimit(0, prometheus.NewRegistry(), "grpc").Listener(lis)) //nolint:errcheck
	defer srv.Stop()
	check := func(creds credentials.TransportCredentials) error {
		conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(creds))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_, err = healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{})
		return err
	}
	if err := check(credentials.NewTLS(&tls.Config{RootCAs: ca.Pool(), Certificates: []tls.Certificate{clientCA.Client(t, "c").TLS}})); err != nil {
		t.Fatalf("with a client certificate: %v", err)
	}
	for name, creds := range map[string]credentials.TransportCredentials{
		"no client certificate": credentials.NewTLS(&tls.Config{RootCAs: ca.Pool()}),
		"plaintext":             insecure.NewCredentials(),
	} {
		err := check(creds)
		if status.Code(err) != codes.Unavailable {
			t.Fatalf("%s: %v, want UNAVAILABLE", name, err)
		}
		if name == "no client certificate" && !strings.Contains(err.Error(), "tls: certificate required") {
			t.Fatalf("%s: %v does not say a certificate is required", name, err)
		}
		t.Logf("%s: %v", name, err)
	}
}

func TestTLSReloadsRotatedFilesAndKeepsTheOldOnABadOne(t *testing.T) {
	dir := t.TempDir()
	ca, clientCA, nextClientCA := pki.NewCA(t, "server CA"), pki.NewCA(t, "client CA"), pki.NewCA(t, "next client CA")
	first := ca.Server(t, time.Hour).Write(t, dir, "server")
	caFile := clientCA.WriteCA(t, dir, "clients.pem")
	tl, reg := newTestTLS(t, tlsFiles(t, map[string]string{"SVC_TLS_CERT_FILE": first.CertFile, "SVC_TLS_KEY_FILE": first.KeyFile,
		"SVC_TLS_CLIENT_CA_FILE": caFile}))
	tl.every = 20 * time.Millisecond
	tl.next.Store(0)
	addr, _ := serveTLS(t, tl, true)
	client := &tls.Config{RootCAs: ca.Pool(), Certificates: []tls.Certificate{clientCA.Client(t, "c").TLS}}
	served := func() *big.Int {
		t.Helper()
		time.Sleep(2 * tl.every) // past the check interval
		s, _, err := fetchTLS("https://"+addr+"/", client)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	errorsCounted := func() float64 { return testutil.ToFloat64(tl.errors) }

	if s := served(); s.Cmp(first.Serial()) != 0 {
		t.Fatalf("serial %v, want %v", s, first.Serial())
	}
	second := ca.Server(t, 2*time.Hour).Write(t, dir, "server")
	if s := served(); s.Cmp(second.Serial()) != 0 {
		t.Fatalf("after rotation serial %v, want the new %v", s, second.Serial())
	}
	if got, want := gaugeValue(t, reg, "tls_certificate_expiry_timestamp_seconds"), float64(second.Cert.NotAfter.Unix()); got != want {
		t.Fatalf("expiry gauge %v after rotation, want %v", got, want)
	}

	// Half a rotation: a new certificate whose key is not there yet.
	third := ca.Server(t, 3*time.Hour)
	if err := os.WriteFile(second.CertFile, third.CertPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if s := served(); s.Cmp(second.Serial()) != 0 {
		t.Fatalf("with a mismatched key serial %v, want the previous %v", s, second.Serial())
	}
	if errorsCounted() != 1 {
		t.Fatalf("reload errors %v, want 1", errorsCounted())
	}
	// Not read (nor counted) again until the files change.
	served()
	if errorsCounted() != 1 {
		t.Fatalf("reload errors %v after an unchanged check, want 1", errorsCounted())
	}
	// A truncated certificate is refused the same way.
	if err := os.WriteFile(second.CertFile, third.CertPEM[:40], 0o600); err != nil {
		t.Fatal(err)
	}
	if s := served(); s.Cmp(second.Serial()) != 0 || errorsCounted() != 2 {
		t.Fatalf("truncated certificate: serial %v errors %v, want %v and 2", s, errorsCounted(), second.Serial())
	}
	// The rest of the rotation arrives.
	third.Write(t, dir, "server")
	if s := served(); s.Cmp(third.Serial()) != 0 {
		t.Fatalf("after the whole pair serial %v, want %v", s, third.Serial())
	}

	// The client CA rotates too: the new CA's clients in, the old one's out.
	if err := os.WriteFile(caFile, nextClientCA.PEM, 0o600); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * tl.every)
	next := &tls.Config{RootCAs: ca.Pool(), Certificates: []tls.Certificate{nextClientCA.Client(t, "n").TLS}}
	if _, _, err := fetchTLS("https://"+addr+"/", next); err != nil {
		t.Fatalf("a client of the new CA: %v", err)
	}
	if _, _, err := fetchTLS("https://"+addr+"/", client); err == nil {
		t.Fatal("a client of the replaced CA still accepted")
	}
	// A CA file without a certificate keeps the previous CA.
	if err := os.WriteFile(caFile, []byte("not PEM\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * tl.every)
	if _, _, err := fetchTLS("https://"+addr+"/", next); err != nil {
		t.Fatalf("after a bad CA file, a client of the CA in force: %v", err)
	}
	if errorsCounted() != 3 {
		t.Fatalf("reload errors %v, want 3", errorsCounted())
	}
}

func TestTLSSettingsErrorsNameTheSetting(t *testing.T) {
	dir := t.TempDir()
	ca := pki.NewCA(t, "CA")
	leaf := ca.Server(t, time.Hour).Write(t, dir, "server")
	other := ca.Server(t, time.Hour).Write(t, dir, "other")
	garbage := filepath.Join(dir, "garbage.pem")
	if err := os.WriteFile(garbage, []byte("-----BEGIN NOTHING-----\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		env    map[string]string
		errHas []string
	}{
		{"cert without key", map[string]string{"SVC_TLS_CERT_FILE": leaf.CertFile}, []string{"SVC_TLS_CERT_FILE and SVC_TLS_KEY_FILE go together"}},
		{"key without cert", map[string]string{"SVC_TLS_KEY_FILE": leaf.KeyFile}, []string{"SVC_TLS_CERT_FILE and SVC_TLS_KEY_FILE go together"}},
		{"client CA without TLS", map[string]string{"SVC_TLS_CLIENT_CA_FILE": garbage}, []string{"SVC_TLS_CLIENT_CA_FILE needs TLS"}},
		{"missing certificate file", map[string]string{"SVC_TLS_CERT_FILE": filepath.Join(dir, "nope.crt"), "SVC_TLS_KEY_FILE": leaf.KeyFile},
			[]string{"SVC_TLS_CERT_FILE/SVC_TLS_KEY_FILE", "no such file"}},
		{"a key of another certificate", map[string]string{"SVC_TLS_CERT_FILE": leaf.CertFile, "SVC_TLS_KEY_FILE": other.KeyFile},
			[]string{"SVC_TLS_CERT_FILE/SVC_TLS_KEY_FILE", "does not match"}},
		{"client CA file without a certificate", map[string]string{"SVC_TLS_CERT_FILE": leaf.CertFile, "SVC_TLS_KEY_FILE": leaf.KeyFile, "SVC_TLS_CLIENT_CA_FILE": garbage},
			[]string{"SVC_TLS_CLIENT_CA_FILE", "no PEM certificate"}},
		{"missing client CA file", map[string]string{"SVC_TLS_CERT_FILE": leaf.CertFile, "SVC_TLS_KEY_FILE": leaf.KeyFile, "SVC_TLS_CLIENT_CA_FILE": filepath.Join(dir, "nope.pem")},
			[]string{"SVC_TLS_CLIENT_CA_FILE", "no such file"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewTLS(tlsFiles(t, tc.env), prometheus.NewRegistry(), quiet)
			if err == nil {
				t.Fatal("accepted")
			}
			for _, s := range tc.errHas {
				if !strings.Contains(err.Error(), s) {
					t.Fatalf("error %q does not mention %q", err, s)
				}
			}
		})
	}
	t.Run("neither is plaintext", func(t *testing.T) {
		tl, err := NewTLS(tlsFiles(t, nil), prometheus.NewRegistry(), quiet)
		if err != nil || tl != nil {
			t.Fatalf("got %v, %v; want TLS off", tl, err)
		}
		lis, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer lis.Close()
		if tl.Listener(lis, true) != lis {
			t.Fatal("TLS off changed the listener")
		}
	})
}

func TestProbeAcceptsAnHTTPSListener(t *testing.T) {
	dir := t.TempDir()
	leaf := pki.NewCA(t, "CA").Server(t, time.Hour).Write(t, dir, "server")
	tl, _ := newTestTLS(t, tlsFiles(t, map[string]string{"SVC_TLS_CERT_FILE": leaf.CertFile, "SVC_TLS_KEY_FILE": leaf.KeyFile}))
	addr, hits := serveTLS(t, tl, false)
	var stderr strings.Builder
	if got := runProbe("svc", []string{"https://" + addr + "/healthz"}, &stderr); got != 0 || hits.Load() != 1 {
		t.Fatalf("probe of an https listener: exit %d (%s), %d requests", got, stderr.String(), hits.Load())
	}
	stderr.Reset()
	if got := runProbe("svc", []string{"http://" + addr + "/healthz"}, &stderr); got != 1 || !strings.Contains(stderr.String(), "400") {
		t.Fatalf("probe of the https listener over http: exit %d (%s), want 1 with 400", got, stderr.String())
	}
}

func gaugeValue(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name {
			return mf.GetMetric()[0].GetGauge().GetValue()
		}
	}
	t.Fatalf("no metric %s", name)
	return 0
}
