package infra

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	toxiclient "github.com/Shopify/toxiproxy/v2/client"
	"github.com/moby/moby/api/types/container"
	dnetwork "github.com/moby/moby/api/types/network"
	"github.com/testcontainers/testcontainers-go"
	"github.com/testcontainers/testcontainers-go/network"
	"github.com/testcontainers/testcontainers-go/wait"
)

// DefaultToxiproxyAlias is the network alias StartToxiproxy gives the proxy container.
const DefaultToxiproxyAlias = "toxiproxy"

// Toxiproxy is a running Toxiproxy server on the suite's network, driven from the host through
// its published API port.
type Toxiproxy struct {
	Container *testcontainers.DockerContainer
	Alias     string             // network alias: proxies listen on Alias:<port>
	API       *toxiclient.Client // control API, reached from the host

	mu    sync.Mutex
	links map[string]*Link
}

// StartToxiproxy runs the Toxiproxy image on nw with alias "toxiproxy" and waits for its API.
func StartToxiproxy(t testing.TB, nw *testcontainers.DockerNetwork) *Toxiproxy {
	t.Helper()
	EnsureEngine(t)
	img := EnsureInfraImages(t).Toxiproxy
	ctx := context.Background()
	start := time.Now()
	ctr, err := testcontainers.Run(ctx, img,
		network.WithNetwork([]string{DefaultToxiproxyAlias}, nw),
		testcontainers.WithExposedPorts("8474/tcp"),
		testcontainers.WithHostConfigModifier(func(hc *container.HostConfig) {
			// The API is published on loopback only, on a port the engine picks.
			hc.PortBindings = dnetwork.PortMap{dnetwork.MustParsePort("8474/tcp"): {{HostIP: netip.MustParseAddr("127.0.0.1")}}}
		}),
		testcontainers.WithWaitStrategy(wait.ForHTTP("/version").WithPort("8474/tcp").
			WithStartupTimeout(60*time.Second)),
	)
	testcontainers.CleanupContainer(t, ctr)
	if err != nil {
		t.Fatalf("infra: start toxiproxy (%s): %v", img, err)
	}
	endpoint, err := ctr.PortEndpoint(ctx, "8474/tcp", "http")
	if err != nil {
		t.Fatalf("infra: toxiproxy API endpoint: %v", err)
	}
	t.Logf("infra: toxiproxy up in %v, API %s", time.Since(start).Round(time.Millisecond), endpoint)
	return &Toxiproxy{Container: ctr, Alias: DefaultToxiproxyAlias, API: toxiclient.NewClient(endpoint),
		links: map[string]*Link{}}
}

// Link creates (or returns) the proxy name listening on 0.0.0.0:listenPort inside the proxy
// container and forwarding to upstream (host:port on the network). Clients on the network reach
// it as <Alias>:listenPort.
func (tp *Toxiproxy) Link(t testing.TB, name string, listenPort int, upstream string) *Link {
	t.Helper()
	tp.mu.Lock()
	defer tp.mu.Unlock()
	if l, ok := tp.links[name]; ok {
		return l
	}
	p, err := tp.API.CreateProxy(name, fmt.Sprintf("0.0.0.0:%d", listenPort), upstream)
	if err != nil {
		t.Fatalf("infra: create proxy %s -> %s: %v", name, upstream, err)
	}
	l := &Link{Name: name, Address: fmt.Sprintf("%s:%d", tp.Alias, listenPort), Upstream: upstream, proxy: p}
	tp.links[name] = l
	return l
}

// Link is one proxied TCP path that a test can cut, black-hole, slow down and heal.
type Link struct {
	Name     string // proxy name in Toxiproxy
	Address  string // what clients on the network dial: <toxiproxy alias>:<port>
	Upstream string // where the proxy forwards

	mu    sync.Mutex
	proxy *toxiclient.Proxy
}

// Cut disables the proxy: its listener closes and open connections are dropped, so clients see
// refused and reset connections until Heal.
func (l *Link) Cut(t testing.TB) {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.proxy.Disable(); err != nil {
		t.Fatalf("infra: cut %s: %v", l.Name, err)
	}
}

// Blackhole keeps connections open but stops delivering data in both directions (a silent
// network partition: clients see timeouts, not errors) until Heal.
func (l *Link) Blackhole(t testing.TB) {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, stream := range []string{"upstream", "downstream"} {
		if _, err := l.proxy.AddToxic("blackhole_"+stream, "timeout", stream, 1,
			toxiclient.Attributes{"timeout": 0}); err != nil {
			t.Fatalf("infra: blackhole %s %s: %v", l.Name, stream, err)
		}
	}
}

// Latency adds latency (with jitter) to the data flowing back to clients until Heal.
func (l *Link) Latency(t testing.TB, latency, jitter time.Duration) {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, err := l.proxy.AddToxic("latency_downstream", "latency", "downstream", 1,
		toxiclient.Attributes{"latency": latency.Milliseconds(), "jitter": jitter.Milliseconds()}); err != nil {
		t.Fatalf("infra: latency %s: %v", l.Name, err)
	}
}

// Heal removes every toxic and re-enables the proxy.
func (l *Link) Heal(t testing.TB) {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	toxics, err := l.proxy.Toxics()
	if err != nil {
		t.Fatalf("infra: list toxics of %s: %v", l.Name, err)
	}
	for _, tx := range toxics {
		if err := l.proxy.RemoveToxic(tx.Name); err != nil && !strings.Contains(err.Error(), "not found") {
			t.Fatalf("infra: remove toxic %s of %s: %v", tx.Name, l.Name, err)
		}
	}
	if err := l.proxy.Enable(); err != nil {
		t.Fatalf("infra: heal %s: %v", l.Name, err)
	}
}
