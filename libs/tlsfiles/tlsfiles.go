// Package tlsfiles reads the PEM files a TLS setting names: a CA bundle into a
// pool, a certificate and its key into a pair, and both into a client
// configuration. One owner for the services' listeners (libs/service), their
// Kafka clients (libs/kafka) and distsumctl; every error names the setting, so
// a wrong path says which variable or flag to fix.
package tlsfiles

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
)

// CAPool reads the PEM certificates in path, given by setting.
func CAPool(setting, path string) (*x509.CertPool, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", setting, err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(b) {
		return nil, fmt.Errorf("%s %s: no PEM certificate in it", setting, path)
	}
	return pool, nil
}

// Names are the settings a client configuration comes from, for errors.
type Names struct{ CA, Cert, Key string }

// KeyPair reads a certificate and its private key; Leaf is set.
func KeyPair(n Names, certFile, keyFile string) (*tls.Certificate, error) {
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("%s/%s: %w", n.Cert, n.Key, err)
	}
	return &cert, nil
}

// Client is a TLS 1.2+ client configuration: it trusts the CAs in caFile
// (the system's when empty) and presents the certificate in certFile/keyFile
// (none when both are empty; one without the other is an error).
func Client(n Names, caFile, certFile, keyFile string) (*tls.Config, error) {
	c := &tls.Config{MinVersion: tls.VersionTLS12}
	if caFile != "" {
		pool, err := CAPool(n.CA, caFile)
		if err != nil {
			return nil, err
		}
		c.RootCAs = pool
	}
	if (certFile == "") != (keyFile == "") {
		return nil, fmt.Errorf("%s and %s go together", n.Cert, n.Key)
	}
	if certFile != "" {
		cert, err := KeyPair(n, certFile, keyFile)
		if err != nil {
			return nil, err
		}
		c.Certificates = []tls.Certificate{*cert}
	}
	return c, nil
}
