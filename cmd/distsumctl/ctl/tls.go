package ctl

import (
	"crypto/tls"
	"net/http"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/distsum/distsum/libs/tlsfiles"
)

// tlsFlags are the client side of the services' TLS: the CA their
// certificates chain to, and a client certificate for mTLS.
type tlsFlags struct {
	on                bool
	caFile            string
	certFile, keyFile string

	cfg *tls.Config // built once by load; nil: plaintext gRPC
}

// load builds the client TLS configuration: on when --tls or any file is
// given. A file that cannot be read is a usage error naming its flag.
func (f *tlsFlags) load() error {
	if !f.on && f.caFile == "" && f.certFile == "" && f.keyFile == "" {
		return nil
	}
	cfg, err := tlsfiles.Client(tlsfiles.Names{CA: "--tls-ca", Cert: "--tls-cert", Key: "--tls-key"}, f.caFile, f.certFile, f.keyFile)
	if err != nil {
		return usageError{err}
	}
	f.cfg = cfg
	return nil
}

// grpcCredentials is the calculator connection's transport: TLS when
// configured, else plaintext.
func (f *tlsFlags) grpcCredentials() grpc.DialOption {
	if f.cfg == nil {
		return grpc.WithTransportCredentials(insecure.NewCredentials())
	}
	return grpc.WithTransportCredentials(credentials.NewTLS(f.cfg))
}

// httpClient is the totals client's: an https URL verifies against the CA
// given (else the system's) and presents the client certificate, if any.
// nil: the default client.
func (f *tlsFlags) httpClient() *http.Client {
	if f.cfg == nil {
		return nil
	}
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.TLSClientConfig = f.cfg
	return &http.Client{Transport: t}
}
