package kafka

import (
	"crypto/x509"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/IBM/sarama"

	"github.com/distsum/distsum/libs/config"
)

func parseSettings(t *testing.T, args ...string) (Settings, error) {
	t.Helper()
	var k Settings
	s := config.New("test")
	k.Flags(s)
	if err := s.Parse(args); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { setTransport(transport{}) })
	return k, k.Validate()
}

// The security settings reach every client configuration (producer, consumer, admin) once
// Validate has run, and the password is read from its file without the newline.
func TestSecurityAppliedToEveryConfig(t *testing.T) {
	pw := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(pw, []byte("hunter2\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := parseSettings(t, "-kafka-tls", "-kafka-tls-server-name", "kafka.internal",
		"-kafka-sasl-mechanism", "scram-sha-512", "-kafka-sasl-username", "calc", "-kafka-sasl-password-file", pw); err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]*sarama.Config{"producer": ProducerConfig("p"), "consumer": ConsumerConfig("c"), "admin": adminConfig()} {
		switch {
		case !c.Net.TLS.Enable || c.Net.TLS.Config == nil || c.Net.TLS.Config.ServerName != "kafka.internal":
			t.Errorf("%s: TLS not applied: %+v", name, c.Net.TLS)
		case !c.Net.SASL.Enable || c.Net.SASL.Mechanism != sarama.SASLTypeSCRAMSHA512 || c.Net.SASL.User != "calc" || c.Net.SASL.Password != "hunter2":
			t.Errorf("%s: SASL not applied: enable=%v mechanism=%v user=%q", name, c.Net.SASL.Enable, c.Net.SASL.Mechanism, c.Net.SASL.User)
		case c.Net.SASL.SCRAMClientGeneratorFunc == nil:
			t.Errorf("%s: no SCRAM client", name)
		default:
			if err := c.Validate(); err != nil {
				t.Errorf("%s: %v", name, err)
			}
		}
	}
	// Without settings, nothing is applied (the default stays plaintext).
	if _, err := parseSettings(t); err != nil {
		t.Fatal(err)
	}
	if c := ProducerConfig("p"); c.Net.TLS.Enable || c.Net.SASL.Enable {
		t.Error("TLS or SASL applied without settings")
	}
}

func TestSecuritySettingsRefused(t *testing.T) {
	dir := t.TempDir()
	empty, notPEM := filepath.Join(dir, "empty"), filepath.Join(dir, "ca")
	_ = os.WriteFile(empty, nil, 0o600)
	_ = os.WriteFile(notPEM, []byte("secret-looking-text"), 0o600)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-kafka-tls-ca-file", notPEM}, "without KAFKA_TLS=true"},
		{[]string{"-kafka-tls", "-kafka-tls-ca-file", notPEM}, "no PEM certificate"},
		{[]string{"-kafka-tls", "-kafka-tls-ca-file", filepath.Join(dir, "missing")}, "KAFKA_TLS_CA_FILE"},
		{[]string{"-kafka-tls", "-kafka-tls-cert-file", notPEM}, "go together"},
		{[]string{"-kafka-sasl-mechanism", "GSSAPI"}, "want PLAIN"},
		{[]string{"-kafka-sasl-mechanism", "PLAIN", "-kafka-sasl-password-file", empty}, "KAFKA_SASL_USERNAME"},
		{[]string{"-kafka-sasl-mechanism", "PLAIN", "-kafka-sasl-username", "u"}, "KAFKA_SASL_PASSWORD_FILE"},
		{[]string{"-kafka-sasl-mechanism", "PLAIN", "-kafka-sasl-username", "u", "-kafka-sasl-password-file", empty}, "is empty"},
		{[]string{"-kafka-sasl-username", "u"}, "without KAFKA_SASL_MECHANISM"},
	} {
		_, err := parseSettings(t, tc.args...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: err %v, want %q", tc.args, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), "secret-looking-text") {
			t.Errorf("%v: a file's content is in the error: %v", tc.args, err)
		}
	}
}

// Verification and authentication failures are fatal and name the setting; a network error is not.
func TestSecurityErrorClassification(t *testing.T) {
	var fatal fatalError
	unknownCA := sarama.Wrap(sarama.ErrOutOfBrokers, x509.UnknownAuthorityError{})
	if err := securityError(unknownCA); !errors.As(err, &fatal) || !strings.Contains(err.Error(), "KAFKA_TLS_CA_FILE?") ||
		!strings.HasPrefix(err.Error(), "kafka: TLS: x509: certificate signed by unknown authority") {
		t.Errorf("unknown CA: %v", err)
	}
	setTransport(transport{mechanism: SASLPlain, user: "calc", password: "pw"})
	t.Cleanup(func() { setTransport(transport{}) })
	if err := securityError(sarama.Wrap(sarama.ErrOutOfBrokers, sarama.ErrSASLAuthenticationFailed)); !errors.As(err, &fatal) ||
		!strings.Contains(err.Error(), "SASL authentication failed for user calc (KAFKA_SASL_PASSWORD_FILE?)") {
		t.Errorf("SASL: %v", err)
	}
	refused := sarama.Wrap(sarama.ErrOutOfBrokers, errors.New("dial tcp 127.0.0.1:1: connect: connection refused"))
	if err := securityError(refused); errors.As(err, &fatal) {
		t.Errorf("a refused connection is fatal: %v", err)
	}
}
