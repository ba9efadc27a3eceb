package integration

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/xdg-go/scram"

	"github.com/distsum/distsum/libs/kafka"
	"github.com/distsum/distsum/tests/testkit"
	"github.com/distsum/distsum/tests/testkit/pki"
)

// TestKafkaSASLSSL: both services reach the broker only through a SASL_SSL listener (TLS
// verified against the test's own CA, SCRAM-SHA-512 users made through the admin API), Adds
// flow end to end and the total is exact. A wrong password and an untrusted CA each stop a
// service at start, within a bounded time, with an error that names the cause and the setting.
func TestKafkaSASLSSL(t *testing.T) {
	sb := startSecureBroker(t)
	k, dir, password := sb.k, sb.dir, sb.password
	otherCA, _ := writeBrokerPKI(t, dir, "other")
	calcEnv, totalsEnv := sb.env("calc", password), sb.env("totals", password+"-t")
	pwFile := sb.pwFile

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

type secureBroker struct {
	k        *testkit.Kafka
	dir, ca  string
	password string // calc's; totals' and mallory's add "-t" and "-m"
}

// startSecureBroker starts a broker with a SASL_SSL listener (its certificate from a CA made
// here) and SCRAM-SHA-512 users calc, totals and mallory, the sum topic made over PLAINTEXT.
func startSecureBroker(t *testing.T, opts ...testkit.KafkaOption) *secureBroker {
	t.Helper()
	dir := t.TempDir()
	caFile, keystore := writeBrokerPKI(t, dir, "ca")
	opts = append([]testkit.KafkaOption{testkit.WithKafkaTopic(topic, 3),
		testkit.WithKafkaSASLSSL(testkit.KafkaSASLSSL{KeystorePEM: keystore})}, opts...)
	k := testkit.StartKafka(t, opts...)

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
	var ups []sarama.AlterUserScramCredentialsUpsert
	for user, pw := range map[string]string{"calc": password, "totals": password + "-t", "mallory": password + "-m"} {
		ups = append(ups, sarama.AlterUserScramCredentialsUpsert{Name: user, Mechanism: sarama.SCRAM_MECHANISM_SHA_512, Iterations: 8192, Salt: salt(), Password: []byte(pw)})
	}
	res, err := admin.UpsertUserScramCredentials(ups)
	admin.Close()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		if r.ErrorCode != sarama.ErrNoError {
			t.Fatalf("SCRAM user %s: %v", r.User, r.ErrorCode)
		}
	}
	return &secureBroker{k: k, dir: dir, ca: caFile, password: password}
}

func (sb *secureBroker) pwFile(name, pw string) string {
	p := filepath.Join(sb.dir, name)
	if err := os.WriteFile(p, []byte(pw+"\n"), 0o600); err != nil {
		panic(err)
	}
	return p
}

// env is a service's security settings as user with password pw.
func (sb *secureBroker) env(user, pw string) []string {
	return []string{"KAFKA_TLS=true", "KAFKA_TLS_CA_FILE=" + sb.ca, "KAFKA_SASL_MECHANISM=SCRAM-SHA-512",
		"KAFKA_SASL_USERNAME=" + user, "KAFKA_SASL_PASSWORD_FILE=" + sb.pwFile(user+".pw", pw)}
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
		"TOTALS_HTTP_ADDR=127.0.0.1:0", "TOTALS_OPS_ADDR=127.0.0.1:0", "TOTALS_DATA_DIR="+filepath.Join(dir, "totals"))
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
	ca := pki.NewCA(t, "distsum test CA "+prefix)
	broker := ca.Server(t, 24*time.Hour)
	caFile = ca.WriteCA(t, dir, prefix+"-ca.pem")
	keystore = filepath.Join(dir, prefix+"-keystore.pem")
	if err := os.WriteFile(keystore, slices.Concat(broker.KeyPEM, broker.CertPEM, ca.PEM), 0o600); err != nil {
		t.Fatal(fmt.Errorf("keystore: %w", err))
	}
	return caFile, keystore
}

func lastLines(s string, n int) []string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return lines[max(0, len(lines)-n):]
}

// TestKafkaACLOnlyCalculatorWrites: the topic is the trust boundary, so with the broker's
// authorizer on, only the calculators' principal may write it. The calculator (User:calc, with
// Create, Describe and Write on the topic and nothing else) publishes and totals counts exactly;
// a record produced by another authenticated principal (User:mallory, no ACL) is refused with
// TOPIC_AUTHORIZATION_FAILED and the total does not move. Totals runs as a super user here: the
// test is about who may write the sum topic, not about totals' own (read, group, checkpoint) ACLs.
func TestKafkaACLOnlyCalculatorWrites(t *testing.T) {
	sb := startSecureBroker(t,
		testkit.WithKafkaProperty("authorizer.class.name", "org.apache.kafka.metadata.authorizer.StandardAuthorizer"),
		// ANONYMOUS: the PLAINTEXT and controller listeners (the broker itself, the test's setup).
		testkit.WithKafkaProperty("super.users", "User:ANONYMOUS;User:totals"))
	admin, err := sarama.NewClusterAdmin(sb.k.Brokers(), kafka.ConsumerConfig("test-admin"))
	if err != nil {
		t.Fatal(err)
	}
	var acls []*sarama.Acl
	for _, op := range []sarama.AclOperation{sarama.AclOperationCreate, sarama.AclOperationDescribe, sarama.AclOperationWrite} {
		acls = append(acls, &sarama.Acl{Principal: "User:calc", Host: "*", Operation: op, PermissionType: sarama.AclPermissionAllow})
	}
	err = admin.CreateACLs([]*sarama.ResourceAcls{{
		Resource: sarama.Resource{ResourceType: sarama.AclResourceTopic, ResourceName: topic, ResourcePatternType: sarama.AclPatternLiteral},
		Acls:     acls,
	}})
	admin.Close()
	if err != nil {
		t.Fatal(err)
	}

	calc := testkit.StartCalculator(t, sb.k.SecureBootstrap(), sb.env("calc", sb.password)...)
	totals := testkit.StartTotals(t, sb.k.SecureBootstrap(), sb.env("totals", sb.password+"-t")...)
	tokens, want := addN(t, calc.Client(t), 20, 0)
	totals.WaitCounted(t, tokens[len(tokens)-1], 90*time.Second)
	if got := totals.Total(t); got.Cmp(want) != 0 {
		t.Fatalf("total %s, want %s", got, want)
	}

	// The forger: same TLS, valid SCRAM credentials, no ACL on the topic.
	pem, err := os.ReadFile(sb.ca)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	c := sarama.NewConfig()
	c.Version = kafka.Version
	c.Net.TLS.Enable, c.Net.TLS.Config = true, &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	c.Net.SASL.Enable, c.Net.SASL.Mechanism = true, sarama.SASLTypeSCRAMSHA512
	c.Net.SASL.User, c.Net.SASL.Password = "mallory", sb.password+"-m"
	c.Net.SASL.SCRAMClientGeneratorFunc = func() sarama.SCRAMClient { return &testSCRAM{} }
	c.Producer.Return.Successes = true
	c.Producer.Retry.Max = 1
	c.Metadata.Retry.Max = 1
	p, err := sarama.NewSyncProducer([]string{sb.k.SecureBootstrap()}, c)
	if err != nil {
		t.Fatalf("mallory's producer: %v", err)
	}
	_, _, err = p.SendMessage(&sarama.ProducerMessage{Topic: topic, Partition: 0, Value: sarama.StringEncoder(`{"sum":1000000}`)})
	p.Close()
	if !errors.Is(err, sarama.ErrTopicAuthorizationFailed) {
		t.Fatalf("a record from a principal without Write on the topic: err %v, want TOPIC_AUTHORIZATION_FAILED", err)
	}
	time.Sleep(2 * time.Second)
	if got := totals.Total(t); got.Cmp(want) != 0 {
		t.Fatalf("total %s after the refused forgery, want %s", got, want)
	}
}

// testSCRAM is a SCRAM-SHA-512 client for the test's own producer.
type testSCRAM struct{ conv *scram.ClientConversation }

func (s *testSCRAM) Begin(user, password, authzID string) error {
	c, err := scram.SHA512.NewClient(user, password, authzID)
	if err != nil {
		return err
	}
	s.conv = c.NewConversation()
	return nil
}
func (s *testSCRAM) Step(challenge string) (string, error) { return s.conv.Step(challenge) }
func (s *testSCRAM) Done() bool                            { return s.conv.Done() }
