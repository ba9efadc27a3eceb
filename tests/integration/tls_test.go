package integration

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"

	"github.com/distsum/distsum/proto/calculatorpb"
	"github.com/distsum/distsum/tests/testkit"
	"github.com/distsum/distsum/tests/testkit/addload"
	"github.com/distsum/distsum/tests/testkit/pki"
)

// tlsSetup is a server CA and certificate, and a client CA with one client.
type tlsSetup struct {
	dir                    string
	serverCA, clientCA     *pki.CA
	server, client         *pki.Leaf
	clientCAFile           string
	withCert, withoutCert  *tls.Config // clients trusting the server CA
	calculatorEnv, mtlsEnv []string
}

func newTLSSetup(t *testing.T) *tlsSetup {
	s := &tlsSetup{dir: t.TempDir(), serverCA: pki.NewCA(t, "distsum server CA"), clientCA: pki.NewCA(t, "distsum client CA")}
	s.server = s.serverCA.Server(t, 24*time.Hour).Write(t, s.dir, "server")
	s.client = s.clientCA.Client(t, "integration test")
	s.clientCAFile = s.clientCA.WriteCA(t, s.dir, "clients.pem")
	s.withoutCert = &tls.Config{RootCAs: s.serverCA.Pool()}
	s.withCert = &tls.Config{RootCAs: s.serverCA.Pool(), Certificates: []tls.Certificate{s.client.TLS}}
	s.calculatorEnv = []string{"CALCULATOR_TLS_CERT_FILE=" + s.server.CertFile, "CALCULATOR_TLS_KEY_FILE=" + s.server.KeyFile}
	s.mtlsEnv = append(slices.Clone(s.calculatorEnv), "CALCULATOR_TLS_CLIENT_CA_FILE="+s.clientCAFile)
	return s
}

// addOnce dials addr with creds on a new connection and makes one Add; it
// returns the answer and the certificate serial the server presented.
func addOnce(t *testing.T, addr string, creds credentials.TransportCredentials, id string) (*calculatorpb.AddResponse, *big.Int, error) {
	t.Helper()
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(creds))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var p peer.Peer
	resp, err := calculatorpb.NewCalculatorServiceClient(conn).Add(ctx, &calculatorpb.AddRequest{Num1: 5, Num2: 10, RequestId: id}, grpc.Peer(&p))
	if err != nil {
		return nil, nil, err
	}
	var serial *big.Int
	if info, ok := p.AuthInfo.(credentials.TLSInfo); ok {
		serial = info.State.PeerCertificates[0].SerialNumber
	}
	return resp, serial, nil
}

// TestServicesOverTLSAndMTLS runs the calculator with TLS and client
// certificates required on gRPC, and totals with TLS: an Add with a client
// certificate is counted and read back over https; an Add without one, and
// plaintext clients of both, are refused and count nothing; the ops
// listener serves probes without a client certificate; a rotated
// certificate is served to new connections without a restart.
//
//	flock /tmp/distsum-heavy.lock go test ./tests/integration -run TestServicesOverTLSAndMTLS -v
func TestServicesOverTLSAndMTLS(t *testing.T) {
	k := startKafka(t)
	s := newTLSSetup(t)
	calc := testkit.StartCalculatorTLS(t, k.Bootstrap(), s.withCert, s.mtlsEnv...)
	totals := testkit.StartTotalsTLS(t, k.Bootstrap(), s.withoutCert,
		"TOTALS_TLS_CERT_FILE="+s.server.CertFile, "TOTALS_TLS_KEY_FILE="+s.server.KeyFile)

	resp, serial, err := addOnce(t, calc.GRPCAddr, credentials.NewTLS(s.withCert), "tls-1")
	if err != nil {
		t.Fatalf("Add with a client certificate: %v", err)
	}
	if resp.GetSum() != 15 || serial.Cmp(s.server.Serial()) != 0 {
		t.Fatalf("sum %d from certificate %v, want 15 from %v", resp.GetSum(), serial, s.server.Serial())
	}
	if got := totals.WaitCounted(t, resp.GetToken(), 60*time.Second); got.Cmp(big.NewInt(15)) != 0 {
		t.Fatalf("GET https://…/total?after=%s: %s, want 15", resp.GetToken(), got)
	}

	// Refused: no client certificate (the handshake fails: UNAVAILABLE,
	// naming TLS), and a plaintext client.
	_, _, err = addOnce(t, calc.GRPCAddr, credentials.NewTLS(s.withoutCert), "tls-no-cert")
	if status.Code(err) != codes.Unavailable || !strings.Contains(err.Error(), "tls") {
		t.Fatalf("Add without a client certificate: %v, want UNAVAILABLE from the TLS handshake", err)
	}
	t.Logf("without a client certificate: %v", err)
	_, _, err = addOnce(t, calc.GRPCAddr, insecure.NewCredentials(), "tls-plaintext")
	if status.Code(err) != codes.Unavailable {
		t.Fatalf("plaintext Add: %v, want UNAVAILABLE", err)
	}
	t.Logf("plaintext gRPC client: %v", err)
	plainURL := "http://" + strings.TrimPrefix(totals.URL, "https://") + "/total"
	r, err := http.Get(plainURL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(r.Body)
	r.Body.Close()
	if r.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), "HTTPS") {
		t.Fatalf("plaintext GET %s: %d %q, want 400 (an HTTP request to an HTTPS server)", plainURL, r.StatusCode, body)
	}

	// The ops listener: TLS, no client certificate asked, the expiry gauge;
	// the binary's probe subcommand against it.
	r, err = (&http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: s.withoutCert.Clone()}}).Get("https://" + calc.HTTPAddr + "/metrics")
	if err != nil {
		t.Fatalf("calculator ops listener without a client certificate: %v", err)
	}
	body, _ = io.ReadAll(r.Body)
	r.Body.Close()
	want := fmt.Sprintf("tls_certificate_expiry_timestamp_seconds %g", float64(s.server.Cert.NotAfter.Unix()))
	if r.StatusCode != 200 || !strings.Contains(string(body), want) {
		t.Fatalf("GET /metrics: %d, want 200 with %q", r.StatusCode, want)
	}
	if out, err := exec.Command(testkit.ServiceBinaries(t).Calculator, "probe", "https://"+calc.HTTPAddr+"/readyz").CombinedOutput(); err != nil {
		t.Fatalf("calculator probe https://…/readyz: %v %s", err, out)
	}

	// Rotation: new files, no restart; a new connection gets the new certificate.
	next := s.serverCA.Server(t, 48*time.Hour).Write(t, s.dir, "server")
	time.Sleep(1100 * time.Millisecond) // past the files' check interval
	resp, serial, err = addOnce(t, calc.GRPCAddr, credentials.NewTLS(s.withCert), "tls-2")
	if err != nil {
		t.Fatalf("Add after rotation: %v", err)
	}
	if serial.Cmp(next.Serial()) != 0 {
		t.Fatalf("after rotation the calculator served certificate %v, want the new %v", serial, next.Serial())
	}
	if got := totals.WaitCounted(t, resp.GetToken(), 60*time.Second); got.Cmp(big.NewInt(30)) != 0 {
		t.Fatalf("total %s after two Adds of 15, want 30 (the refused Adds not counted)", got)
	}
}

// TestTLSOverheadAddsPerSecond measures Adds/s at 64 in flight against a
// plaintext calculator and a TLS calculator with client certificates
// required, side by side on one Kafka, alternating (2 rounds), and checks
// every acknowledged Add is counted once. A measurement, so it runs only
// with DISTSUM_MEASURE=1:
//
//	DISTSUM_MEASURE=1 flock /tmp/distsum-heavy.lock go test ./tests/integration -run TestTLSOverheadAddsPerSecond -v
func TestTLSOverheadAddsPerSecond(t *testing.T) {
	if os.Getenv("DISTSUM_MEASURE") == "" {
		t.Skip("a measurement: set DISTSUM_MEASURE=1")
	}
	const adds, inFlight, rounds = 8000, 64, 2
	k := startKafka(t)
	s := newTLSSetup(t)
	totals := testkit.StartTotals(t, k.Bootstrap())
	calcs := map[string]*testkit.Calculator{
		"plaintext": testkit.StartCalculator(t, k.Bootstrap()),
		"mTLS":      testkit.StartCalculatorTLS(t, k.Bootstrap(), s.withCert, s.mtlsEnv...),
	}
	o := addload.NewOracle()
	type row struct {
		name  string
		round int
		throughput
	}
	var rows []row
	for round := 1; round <= rounds; round++ {
		for _, name := range []string{"plaintext", "mTLS"} {
			warm := 0
			if round == 1 {
				warm = 500 // connections and first commits, not measured
			}
			w := &addload.Workload{Client: calcs[name].Client(t), Oracle: o, Prefix: fmt.Sprintf("%s-%d", name, round),
				Workers: inFlight, Seed: uint64(round)}
			rows = append(rows, row{name, round, measure(t, w, warm, adds)})
		}
	}
	settle(t, totals, o)
	t.Logf("%d Adds per run, %d in flight on one connection, durable SQLite outbox:", adds, inFlight)
	sum := map[string]float64{}
	for _, r := range rows {
		sum[r.name] += r.perSec
		t.Logf("  round %d  %-9s  %7.0f Adds/s  p50 %6.2f ms  p99 %6.2f ms", r.round, r.name, r.perSec,
			ms(r.p50), ms(r.p99))
	}
	t.Logf("  mean: plaintext %.0f Adds/s, mTLS %.0f Adds/s (%+.1f%%)", sum["plaintext"]/rounds, sum["mTLS"]/rounds,
		100*(sum["mTLS"]-sum["plaintext"])/sum["plaintext"])
}
