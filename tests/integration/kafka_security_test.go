package integration

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/IBM/sarama"

	"github.com/distsum/distsum/libs/kafka"
	"github.com/distsum/distsum/tests/testkit"
)

// TestKafkaSASLSSL: both services reach the broker only through a SASL_SSL listener (TLS
// verified against the test's own CA, SCRAM-SHA-512 users made through the admin API), Adds
// flow end to end and the total is exact. A wrong password and an untrusted CA each stop a
// service at start, within a bounded time, with an error that names the cause and the setting.
func TestKafkaSASLSSL(t *testing.T) {
	dir := t.TempDir()
	caFile, keystore := writeBrokerPKI(t, dir, "ca")
	otherCA, _ := writeBrokerPKI(t, dir, "other")
	k := testkit.StartKafka(t, testkit.WithKafkaTopic(topic, 3),
		testkit.WithKafkaSASLSSL(testkit.KafkaSASLSSL{KeystorePEM: keystore}))

	// SCRAM users are made over the PLAINTEXT listener, which only the test uses.
	admin, err := sarama.NewClusterAdmin(k.Brokers(), kafka.ConsumerConfig("test-admin"))
	if err != nil {
		t.Fatal(err)
	}
	const password = "s3cret-for-calc"
	salt := func() []byte { // sarama sends no salt of its own; the broker needs one
		b := make([]byte, 16)
		_, _ = rand.Read(b)
		return b
	}
	res, err := admin.UpsertUserScramCredentials([]sarama.AlterUserScramCredentialsUpsert{
		{Name: "calc", Mechanism: sarama.SCRAM_MECHANISM_SHA_512, Iterations: 8192, Salt: salt(), Password: []byte(password)},
		{Name: "totals", Mechanism: sarama.SCRAM_MECHANISM_SHA_512, Iterations: 8192, Salt: salt(), Password: []byte(password + "-t")},
	})
	admin.Close()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		if r.ErrorCode != sarama.ErrNoError {
			t.Fatalf("SCRAM user %s: %v", r.User, r.ErrorCode)
		}
	}
	pwFile := func(name, pw string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(pw+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	env := func(user, pwPath, ca string) []string {
		return []string{"KAFKA_TLS=true", "KAFKA_TLS_CA_FILE=" + ca, "KAFKA_SASL_MECHANISM=SCRAM-SHA-512",
			"KAFKA_SASL_USERNAME=" + user, "KAFKA_SASL_PASSWORD_FILE=" + pwPath}
	}
	calcEnv := env("calc", pwFile("calc.pw", password), caFile)
	totalsEnv := env("totals", pwFile("totals.pw", password+"-t"), caFile)

	t.Run("end to end", func(t *testing.T) {
		calc := testkit.StartCalculator(t, k.SecureBootstrap(), calcEnv...)
		totals := testkit.StartTotals(t, k.SecureBootstrap(), totalsEnv...)
		tokens, want := addN(t, calc.Client(t), 50, 0)
		totals.WaitCounted(t, tokens[len(tokens)-1], 90*time.Second)
		if got := totals.Total(t); got.Cmp(want) != 0 {
			t.Fatalf("total %s over SASL_SSL, want %s", got, want)
		}
		// Negative control: this test process's clients are plaintext, and the listener the
		// services used does not answer them.
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := kafka.Ping(ctx, []string{k.SecureBootstrap()}); err == nil {
			t.Fatal("the SASL_SSL listener answered a plaintext client")
		}
	})

	bins := testkit.ServiceBinaries(t)
	t.Run("wrong password", func(t *testing.T) {
		out := runUntilExit(t, bins.Calculator, k.SecureBootstrap(), append(calcEnv[:4:4], "KAFKA_SASL_PASSWORD_FILE="+pwFile("wrong.pw", "not-the-password")))
		for _, want := range []string{"SASL authentication failed for user calc", "KAFKA_SASL_PASSWORD_FILE?"} {
			if !strings.Contains(out, want) {
				t.Errorf("calculator log lacks %q:\n%s", want, out)
			}
		}
		if strings.Contains(out, "not-the-password") {
			t.Error("the password is in the log")
		}
	})
	t.Run("untrusted CA", func(t *testing.T) {
		out := runUntilExit(t, bins.Totals, k.SecureBootstrap(), append(totalsEnv[:1:1], append([]string{"KAFKA_TLS_CA_FILE=" + otherCA}, totalsEnv[2:]...)...))
		for _, want := range []string{"kafka: TLS: x509: certificate signed by unknown authority", "KAFKA_TLS_CA_FILE?"} {
			if !strings.Contains(out, want) {
				t.Errorf("totals log lacks %q:\n%s", want, out)
			}
		}
	})
}

// runUntilExit runs a service binary against brokers with env and returns its output once it
// has exited, which it must do with a failure within 30 s (a start that retries an
// authentication failure would run until killed).
func runUntilExit(t *testing.T, bin, brokers string, env []string) string {
	t.Helper()
	dir := t.TempDir()
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), env...)
	cmd.Env = append(cmd.Env, "KAFKA_BROKERS="+brokers,
		"CALCULATOR_GRPC_ADDR=127.0.0.1:0", "CALCULATOR_HTTP_ADDR=127.0.0.1:0", "CALCULATOR_DATA_DIR="+filepath.Join(dir, "calc"),
		"TOTALS_HTTP_ADDR=127.0.0.1:0", "TOTALS_DATA_DIR="+filepath.Join(dir, "totals"))
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	began := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err == nil {
			t.Fatalf("%s exited with status 0:\n%s", filepath.Base(bin), out.String())
		}
		t.Logf("%s exited after %v: %v; last lines:\n%s", filepath.Base(bin), time.Since(began).Round(time.Millisecond), err,
			strings.Join(lastLines(out.String(), 2), "\n"))
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		<-done
		t.Fatalf("%s still running after 30 s:\n%s", filepath.Base(bin), out.String())
	}
	return out.String()
}

// writeBrokerPKI makes a CA and a broker certificate for 127.0.0.1 signed by it, and writes the
// CA's certificate (PEM) and the broker's keystore (PKCS#8 key and certificate chain, PEM) into
// dir, named after prefix.
func writeBrokerPKI(t *testing.T, dir, prefix string) (caFile, keystore string) {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "distsum test CA " + prefix},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		t.Fatal(err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"localhost"},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	var ks bytes.Buffer
	_ = pem.Encode(&ks, &pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8})
	_ = pem.Encode(&ks, &pem.Block{Type: "CERTIFICATE", Bytes: der})
	_ = pem.Encode(&ks, &pem.Block{Type: "CERTIFICATE", Bytes: caDER})
	caFile = filepath.Join(dir, prefix+"-ca.pem")
	keystore = filepath.Join(dir, prefix+"-keystore.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keystore, ks.Bytes(), 0o600); err != nil {
		t.Fatal(fmt.Errorf("keystore: %w", err))
	}
	return caFile, keystore
}

func lastLines(s string, n int) []string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return lines[max(0, len(lines)-n):]
}
