package kafka

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"

	"github.com/IBM/sarama"
	"github.com/xdg-go/scram"

	"github.com/distsum/distsum/libs/config"
	"github.com/distsum/distsum/libs/tlsfiles"
)

// SASL mechanisms accepted by KAFKA_SASL_MECHANISM.
const (
	SASLPlain       = "PLAIN"
	SASLSCRAMSHA256 = "SCRAM-SHA-256"
	SASLSCRAMSHA512 = "SCRAM-SHA-512"
)

// Security is how the clients reach the brokers: TLS (server verification against a CA file,
// an optional client certificate) and SASL (PLAIN or SCRAM, the password read from a file so
// that it never sits in a flag, an environment listing or a log line).
type Security struct {
	TLS          bool
	CAFile       string
	CertFile     string
	KeyFile      string
	ServerName   string
	Mechanism    string
	Username     string
	PasswordFile string
}

// flags defines the security settings on s (KAFKA_TLS*, KAFKA_SASL_*).
func (sec *Security) flags(s *config.Set) {
	s.BoolVar(&sec.TLS, "kafka-tls", "KAFKA_TLS", false, "connect to the brokers over TLS")
	s.StringVar(&sec.CAFile, "kafka-tls-ca-file", "KAFKA_TLS_CA_FILE", "", "PEM CA certificates that sign the brokers' certificates (default: the system's)")
	s.StringVar(&sec.CertFile, "kafka-tls-cert-file", "KAFKA_TLS_CERT_FILE", "", "PEM client certificate for TLS client authentication (optional)")
	s.StringVar(&sec.KeyFile, "kafka-tls-key-file", "KAFKA_TLS_KEY_FILE", "", "PEM key of the client certificate")
	s.StringVar(&sec.ServerName, "kafka-tls-server-name", "KAFKA_TLS_SERVER_NAME", "", "name the brokers' certificates must carry (default: the host of each broker address)")
	s.StringVar(&sec.Mechanism, "kafka-sasl-mechanism", "KAFKA_SASL_MECHANISM", "", "SASL mechanism: empty (none), PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512")
	s.StringVar(&sec.Username, "kafka-sasl-username", "KAFKA_SASL_USERNAME", "", "SASL user name")
	s.StringVar(&sec.PasswordFile, "kafka-sasl-password-file", "KAFKA_SASL_PASSWORD_FILE", "", "file holding the SASL password (trailing newline ignored)")
}

// transport is the loaded form of Security: what every sarama.Config gets.
type transport struct {
	tls       *tls.Config
	mechanism string
	user      string
	password  string
}

// The process's transport security is one package-level value, set once at start by
// Settings.Validate and applied by baseConfig and Ping: the clients are created in many places
// (relay, consumer group, admin, checkpoint and lag readers, probes) from ProducerConfig,
// ConsumerConfig and adminConfig, so one owner here means no call site can forget it.
var (
	transportMu sync.RWMutex
	current     transport
)

// setTransport replaces the process's transport security.
func setTransport(t transport) {
	transportMu.Lock()
	current = t
	transportMu.Unlock()
}

// applyTransport sets the process's transport security on c.
func applyTransport(c *sarama.Config) {
	transportMu.RLock()
	t := current
	transportMu.RUnlock()
	if t.tls != nil {
		c.Net.TLS.Enable = true
		c.Net.TLS.Config = t.tls.Clone()
	}
	if t.mechanism == "" {
		return
	}
	c.Net.SASL.Enable = true
	c.Net.SASL.Handshake = true
	c.Net.SASL.User = t.user
	c.Net.SASL.Password = t.password
	switch t.mechanism {
	case SASLPlain:
		c.Net.SASL.Mechanism = sarama.SASLTypePlaintext
	case SASLSCRAMSHA256:
		c.Net.SASL.Mechanism = sarama.SASLTypeSCRAMSHA256
		c.Net.SASL.SCRAMClientGeneratorFunc = func() sarama.SCRAMClient { return &scramClient{hash: scram.SHA256} }
	case SASLSCRAMSHA512:
		c.Net.SASL.Mechanism = sarama.SASLTypeSCRAMSHA512
		c.Net.SASL.SCRAMClientGeneratorFunc = func() sarama.SCRAMClient { return &scramClient{hash: scram.SHA512} }
	}
}

// load checks the settings, reads the files and returns the transport. Errors name the
// setting and never the password.
func (sec Security) load() (transport, error) {
	var t transport
	if !sec.TLS && (sec.CAFile != "" || sec.CertFile != "" || sec.KeyFile != "" || sec.ServerName != "") {
		return t, errors.New("KAFKA_TLS_* settings given without KAFKA_TLS=true")
	}
	if sec.TLS {
		c, err := tlsfiles.Client(tlsfiles.Names{CA: "KAFKA_TLS_CA_FILE", Cert: "KAFKA_TLS_CERT_FILE", Key: "KAFKA_TLS_KEY_FILE"},
			sec.CAFile, sec.CertFile, sec.KeyFile)
		if err != nil {
			return t, err
		}
		c.ServerName = sec.ServerName
		t.tls = c
	}
	switch strings.ToUpper(sec.Mechanism) {
	case "":
		if sec.Username != "" || sec.PasswordFile != "" {
			return t, errors.New("KAFKA_SASL_USERNAME/KAFKA_SASL_PASSWORD_FILE given without KAFKA_SASL_MECHANISM")
		}
		return t, nil
	case SASLPlain, SASLSCRAMSHA256, SASLSCRAMSHA512:
		t.mechanism = strings.ToUpper(sec.Mechanism)
	default:
		return t, fmt.Errorf("KAFKA_SASL_MECHANISM %q: want PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512", sec.Mechanism)
	}
	if sec.Username == "" {
		return t, fmt.Errorf("SASL %s needs KAFKA_SASL_USERNAME", t.mechanism)
	}
	if sec.PasswordFile == "" {
		return t, fmt.Errorf("SASL %s needs KAFKA_SASL_PASSWORD_FILE", t.mechanism)
	}
	b, err := os.ReadFile(sec.PasswordFile)
	if err != nil {
		return t, fmt.Errorf("KAFKA_SASL_PASSWORD_FILE: %w", err)
	}
	t.user, t.password = sec.Username, strings.TrimRight(string(b), "\r\n")
	if t.password == "" {
		return t, fmt.Errorf("KAFKA_SASL_PASSWORD_FILE %s is empty", sec.PasswordFile)
	}
	return t, nil
}

// securityError classifies err: a failed TLS verification or SASL authentication is one that
// retrying cannot fix, returned as a fatalError that names the cause and the setting to look at;
// anything else is returned unchanged (nil for nil).
func securityError(err error) error {
	if err == nil {
		return nil
	}
	var (
		unknownCA x509.UnknownAuthorityError
		hostname  x509.HostnameError
		invalid   x509.CertificateInvalidError
		verify    *tls.CertificateVerificationError
		recordHdr tls.RecordHeaderError
	)
	switch {
	case errors.As(err, &unknownCA):
		return fatalError{fmt.Errorf("kafka: TLS: %v (KAFKA_TLS_CA_FILE?)", unknownCA)}
	case errors.As(err, &hostname):
		return fatalError{fmt.Errorf("kafka: TLS: %v (KAFKA_TLS_SERVER_NAME?)", hostname)}
	case errors.As(err, &invalid):
		return fatalError{fmt.Errorf("kafka: TLS: %v", invalid)}
	case errors.As(err, &verify):
		return fatalError{fmt.Errorf("kafka: TLS: %v (KAFKA_TLS_CA_FILE?)", verify.Err)}
	case errors.As(err, &recordHdr):
		// A TLS client talking to a plaintext listener.
		return fatalError{fmt.Errorf("kafka: TLS: the broker does not speak TLS on this address (KAFKA_TLS, KAFKA_BROKERS?): %v", recordHdr)}
	case errors.Is(err, sarama.ErrSASLAuthenticationFailed):
		transportMu.RLock()
		user := current.user
		transportMu.RUnlock()
		return fatalError{fmt.Errorf("kafka: SASL authentication failed for user %s (KAFKA_SASL_PASSWORD_FILE?): %w", user, sarama.ErrSASLAuthenticationFailed)}
	case errors.Is(err, sarama.ErrUnsupportedSASLMechanism):
		return fatalError{fmt.Errorf("kafka: the broker does not accept this SASL mechanism (KAFKA_SASL_MECHANISM?): %w", sarama.ErrUnsupportedSASLMechanism)}
	}
	return err
}

// scramClient adapts xdg-go/scram to sarama.SCRAMClient.
type scramClient struct {
	hash scram.HashGeneratorFcn
	conv *scram.ClientConversation
}

func (s *scramClient) Begin(user, password, authzID string) error {
	c, err := s.hash.NewClient(user, password, authzID)
	if err != nil {
		return err
	}
	s.conv = c.NewConversation()
	return nil
}

func (s *scramClient) Step(challenge string) (string, error) { return s.conv.Step(challenge) }

func (s *scramClient) Done() bool { return s.conv.Done() }
