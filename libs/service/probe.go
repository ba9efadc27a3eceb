package service

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"
)

// ProbeCommand is the first argument that turns a service binary into its own health probe:
// `app probe http://localhost:8081/readyz`. The images are FROM scratch (no shell, no curl), so
// a container health check (compose, Kubernetes exec probes) runs the binary itself.
const ProbeCommand = "probe"

// ProbeTimeout bounds one probe, connection and answer together.
const ProbeTimeout = 2 * time.Second

// Probe GETs url and returns nil for a 2xx answer, an error naming the status or the failure
// otherwise.
func Probe(ctx context.Context, url string) error {
	ctx, cancel := context.WithTimeout(ctx, ProbeTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := probeClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return nil
}

// probeClient is the probe's HTTP client. An https URL's certificate is not
// verified: the probe runs inside the service's own container or pod against
// its own loopback listener, where no one can stand in the middle, and the
// certificate names the service's public address, not 127.0.0.1 — verifying
// would only make the probe fail on a healthy process (or need the CA and a
// name in the probe's arguments). Liveness, not trust, is what it checks.
var probeClient = &http.Client{Transport: &http.Transport{
	TLSClientConfig:   &tls.Config{InsecureSkipVerify: true}, //nolint:gosec // see above
	DisableKeepAlives: true,
}}

// runProbe is the probe mode of Main: args are those after "probe"; it returns the exit status
// (0 healthy, 1 not, 2 usage).
func runProbe(name string, args []string, stderr io.Writer) int {
	if len(args) != 1 {
		fmt.Fprintf(stderr, "usage: %s %s URL   (exit 0 on a 2xx answer within %v)\n", name, ProbeCommand, ProbeTimeout)
		return 2
	}
	if err := Probe(context.Background(), args[0]); err != nil {
		fmt.Fprintf(stderr, "%s probe: %v\n", name, err)
		return 1
	}
	return 0
}

// probeMode runs the probe and exits when the process was started as `app probe URL`; it
// returns otherwise.
func probeMode(name string) {
	if len(os.Args) > 1 && os.Args[1] == ProbeCommand {
		os.Exit(runProbe(name, os.Args[2:], os.Stderr))
	}
}
