package service

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc/credentials"

	"github.com/distsum/distsum/libs/config"
	"github.com/distsum/distsum/libs/tlsfiles"
)

// TLSFiles are a service's TLS settings: its certificate and key (TLS off
// when neither is set) and the CA its API clients' certificates must chain
// to (mTLS; none required when empty).
type TLSFiles struct {
	CertFile     string
	KeyFile      string
	ClientCAFile string
	prefix       string // names the settings in errors
}

// Flags defines -tls-cert-file, -tls-key-file and -tls-client-ca-file
// ($PREFIX_TLS_CERT_FILE, $PREFIX_TLS_KEY_FILE, $PREFIX_TLS_CLIENT_CA_FILE).
func (f *TLSFiles) Flags(s *config.Set, prefix string) {
	f.prefix = prefix
	s.StringVar(&f.CertFile, "tls-cert-file", prefix+"_TLS_CERT_FILE", "", "PEM certificate (chain) served on the gRPC and HTTP listeners; with the key file, TLS on (default: plaintext)")
	s.StringVar(&f.KeyFile, "tls-key-file", prefix+"_TLS_KEY_FILE", "", "PEM private key of the certificate")
	s.StringVar(&f.ClientCAFile, "tls-client-ca-file", prefix+"_TLS_CLIENT_CA_FILE", "", "PEM CA certificates the API's clients must present a certificate from (mTLS; default: no client certificate)")
}

func (f TLSFiles) setting(name string) string {
	if f.prefix == "" {
		return "TLS " + name
	}
	return f.prefix + "_TLS_" + name
}

// Enabled reports whether TLS is on.
func (f TLSFiles) Enabled() bool { return f.CertFile != "" || f.KeyFile != "" }

// Validate reports settings that cannot work: only one of certificate and
// key, a client CA without TLS, or files that do not load (read here, at
// start, so a bad file stops the service before it opens anything else).
func (f TLSFiles) Validate() error {
	switch {
	case (f.CertFile == "") != (f.KeyFile == ""):
		return fmt.Errorf("%s and %s go together (both for TLS, neither for plaintext)", f.setting("CERT_FILE"), f.setting("KEY_FILE"))
	case f.ClientCAFile != "" && !f.Enabled():
		return fmt.Errorf("%s needs TLS: set %s and %s", f.setting("CLIENT_CA_FILE"), f.setting("CERT_FILE"), f.setting("KEY_FILE"))
	case !f.Enabled():
		return nil
	}
	if _, err := f.loadCert(); err != nil {
		return err
	}
	if f.ClientCAFile != "" {
		if _, err := f.loadClientCAs(); err != nil {
			return err
		}
	}
	return nil
}

// TLSReloadInterval is how often, at most, the files are checked for a
// change (on a handshake, so an idle server reads nothing).
const TLSReloadInterval = time.Second

// TLS serves a certificate and verifies client certificates from files that
// may be replaced while the process runs (a rotated certificate, a renewed
// CA bundle): at most once per TLSReloadInterval a handshake checks the
// files' identity, size and modification time, and a changed set is read
// again. A new set that does not load (half written, a key that does not
// match) is not taken: the previous one is kept serving, the error logged
// and counted. A nil *TLS is plaintext.
type TLS struct {
	files TLSFiles
	log   *slog.Logger
	every time.Duration

	cert    atomic.Pointer[tls.Certificate]
	clients atomic.Pointer[x509.CertPool] // nil: no client certificates asked for

	next   atomic.Int64 // unix nanoseconds of the next check
	mu     sync.Mutex   // one check at a time
	seen   map[string]os.FileInfo
	errors prometheus.Counter
}

// NewTLS loads the files (nil, nil when TLS is off). A file that cannot be
// read or parsed is an error naming its setting (as from Validate). It exports
// tls_certificate_expiry_timestamp_seconds (of the certificate served) and
// tls_certificate_reload_errors_total.
func NewTLS(f TLSFiles, reg prometheus.Registerer, log *slog.Logger) (*TLS, error) {
	if err := f.Validate(); err != nil || !f.Enabled() {
		return nil, err
	}
	t := &TLS{files: f, log: log.With("component", "tls"), every: TLSReloadInterval, seen: map[string]os.FileInfo{}}
	t.stat(t.seen)
	cert, err := t.files.loadCert()
	if err != nil {
		return nil, err
	}
	t.cert.Store(cert)
	if f.ClientCAFile != "" {
		pool, err := t.files.loadClientCAs()
		if err != nil {
			return nil, err
		}
		t.clients.Store(pool)
	}
	t.next.Store(time.Now().Add(t.every).UnixNano())
	t.errors = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "tls_certificate_reload_errors_total",
		Help: "Changed TLS certificate, key or client CA files that did not load; the previous ones are still served.",
	})
	expiry := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "tls_certificate_expiry_timestamp_seconds",
		Help: "Expiry (NotAfter, Unix seconds) of the TLS certificate served.",
	}, func() float64 { return float64(t.cert.Load().Leaf.NotAfter.Unix()) })
	reg.MustRegister(t.errors, expiry)
	log.Info("TLS on", "cert_file", f.CertFile, "expires", cert.Leaf.NotAfter, "client_ca_file", f.ClientCAFile)
	return t, nil
}

func (f TLSFiles) loadCert() (*tls.Certificate, error) {
	return tlsfiles.KeyPair(tlsfiles.Names{Cert: f.setting("CERT_FILE"), Key: f.setting("KEY_FILE")}, f.CertFile, f.KeyFile)
}

func (f TLSFiles) loadClientCAs() (*x509.CertPool, error) {
	return tlsfiles.CAPool(f.setting("CLIENT_CA_FILE"), f.ClientCAFile)
}

// stat records the files' current state into m (a missing file is absent).
func (t *TLS) stat(m map[string]os.FileInfo) {
	for _, p := range []string{t.files.CertFile, t.files.KeyFile, t.files.ClientCAFile} {
		if p == "" {
			continue
		}
		// Stat follows symlinks, so a Kubernetes secret's swap of its
		// ..data link shows as another file.
		if fi, err := os.Stat(p); err == nil {
			m[p] = fi
		}
	}
}

func changed(a, b os.FileInfo) bool {
	if a == nil || b == nil {
		return a != b
	}
	return !os.SameFile(a, b) || a.Size() != b.Size() || !a.ModTime().Equal(b.ModTime())
}

// maybeReload checks the files when the interval has passed; the handshake
// that checks waits for it (so it sees a new certificate), the others go on
// with the current one.
func (t *TLS) maybeReload() {
	now := time.Now().UnixNano()
	next := t.next.Load()
	if now < next || !t.next.CompareAndSwap(next, now+int64(t.every)) {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	cur := map[string]os.FileInfo{}
	t.stat(cur)
	f := t.files
	if changed(t.seen[f.CertFile], cur[f.CertFile]) || changed(t.seen[f.KeyFile], cur[f.KeyFile]) {
		t.seen[f.CertFile], t.seen[f.KeyFile] = cur[f.CertFile], cur[f.KeyFile]
		if cert, err := t.files.loadCert(); err != nil {
			// Retried when the files change again (the rest of a write).
			t.errors.Inc()
			t.log.Error("new TLS certificate not loaded; still serving the previous one", "err", err,
				"serving_expires", t.cert.Load().Leaf.NotAfter)
		} else {
			t.cert.Store(cert)
			t.log.Info("TLS certificate reloaded", "serial", cert.Leaf.SerialNumber.String(), "expires", cert.Leaf.NotAfter)
		}
	}
	if f.ClientCAFile != "" && changed(t.seen[f.ClientCAFile], cur[f.ClientCAFile]) {
		t.seen[f.ClientCAFile] = cur[f.ClientCAFile]
		if pool, err := t.files.loadClientCAs(); err != nil {
			t.errors.Inc()
			t.log.Error("new TLS client CA not loaded; still verifying with the previous one", "err", err)
		} else {
			t.clients.Store(pool)
			t.log.Info("TLS client CA reloaded")
		}
	}
}

// Certificate is the certificate served now.
func (t *TLS) Certificate() *tls.Certificate {
	t.maybeReload()
	return t.cert.Load()
}

// ServerConfig is a server configuration serving the current certificate.
// With requireClient (the public API) and a client CA set, a client must
// present a certificate that chains to the current CA.
func (t *TLS) ServerConfig(requireClient bool) *tls.Config {
	c := &tls.Config{
		MinVersion:     tls.VersionTLS12,
		GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) { return t.Certificate(), nil },
	}
	if requireClient && t.files.ClientCAFile != "" {
		// Verified here rather than by tls.Config.ClientCAs, which is fixed
		// for the config's life: the CA pool is read at each handshake, so a
		// reloaded CA applies to the next connection.
		c.ClientAuth = tls.RequireAnyClientCert
		c.VerifyConnection = t.verifyClient
	}
	return c
}

func (t *TLS) verifyClient(cs tls.ConnectionState) error {
	if len(cs.PeerCertificates) == 0 {
		return errors.New("tls: a client certificate is required")
	}
	opts := x509.VerifyOptions{
		Roots:         t.clients.Load(),
		Intermediates: x509.NewCertPool(),
		KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	for _, c := range cs.PeerCertificates[1:] {
		opts.Intermediates.AddCert(c)
	}
	if _, err := cs.PeerCertificates[0].Verify(opts); err != nil {
		return fmt.Errorf("tls: client certificate %q: %w", cs.PeerCertificates[0].Subject.CommonName, err)
	}
	return nil
}

// Listener returns lis serving TLS to an http.Server (HTTP/2 and HTTP/1.1
// offered), or lis itself when t is nil (plaintext). requireClient as in
// ServerConfig: true for a public API, false for an ops listener.
func (t *TLS) Listener(lis net.Listener, requireClient bool) net.Listener {
	if t == nil {
		return lis
	}
	c := t.ServerConfig(requireClient)
	c.NextProtos = []string{"h2", "http/1.1"}
	return &tlsListener{Listener: lis, config: c}
}

type tlsListener struct {
	net.Listener
	config *tls.Config
}

// Accept returns a *tls.Conn (net/http serves HTTP/2 and fills
// Request.TLS only for that type) over a conn that closes gracefully if its
// handshake fails; the config is cloned per connection so its verification
// can mark that one connection as handshaken.
func (l *tlsListener) Accept() (net.Conn, error) {
	raw, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	lc := &lingerConn{Conn: raw}
	c := l.config.Clone()
	verify := c.VerifyConnection
	c.VerifyConnection = func(cs tls.ConnectionState) error {
		if verify != nil {
			if err := verify(cs); err != nil {
				return err
			}
		}
		lc.handshaken.Store(true)
		return nil
	}
	return tls.Server(lc, c), nil
}

// GRPCCredentials are the gRPC server's transport credentials: TLS with the
// current certificate and, with a client CA, client certificates required
// (gRPC serves the public API).
func (t *TLS) GRPCCredentials() credentials.TransportCredentials {
	return lingerCreds{credentials.NewTLS(t.ServerConfig(true))}
}

type lingerCreds struct {
	credentials.TransportCredentials
}

func (c lingerCreds) ServerHandshake(raw net.Conn) (net.Conn, credentials.AuthInfo, error) {
	lc := &lingerConn{Conn: raw}
	conn, info, err := c.TransportCredentials.ServerHandshake(lc)
	if err == nil {
		lc.handshaken.Store(true)
	} else if lc.lingering != nil {
		// The gRPC server closes the raw connection itself on an error:
		// not before the client has read the alert.
		<-lc.lingering
	}
	return conn, info, err
}

func (c lingerCreds) Clone() credentials.TransportCredentials {
	return lingerCreds{c.TransportCredentials.Clone()}
}

// handshakeLinger bounds how long a connection whose handshake failed is
// kept open for reading, so the client can read why.
const handshakeLinger = 250 * time.Millisecond

// lingerConn closes a connection whose TLS handshake failed gracefully. A
// TLS 1.3 client finishes its side of the handshake before the server has
// checked its certificate, and sends its first request at once; closing
// with that request unread makes the kernel reset the connection, and the
// client's next write fails with "connection reset by peer" instead of it
// reading the server's alert ("certificate required", "bad certificate").
// So the write side is shut first (the alert, then end of stream) and what
// the client sends is read away until it closes, handshakeLinger at most,
// in the background: Close does not wait (a server shutting down closes
// connections still in their handshake one after the other).
type lingerConn struct {
	net.Conn
	handshaken atomic.Bool
	once       sync.Once     // closes once (net/http may close twice)
	lingering  chan struct{} // closed when the linger ends; nil if none
}

func (c *lingerConn) Close() error {
	var err error
	c.once.Do(func() {
		if !c.handshaken.Load() {
			if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok && cw.CloseWrite() == nil {
				c.lingering = make(chan struct{})
				go func() {
					defer close(c.lingering)
					_ = c.Conn.SetReadDeadline(time.Now().Add(handshakeLinger))
					_, _ = io.CopyN(io.Discard, c.Conn, 64<<10)
					c.Conn.Close()
				}()
				return
			}
		}
		err = c.Conn.Close()
	})
	return err
}
