package infra

import (
	"context"
	"fmt"
	"net/netip"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/moby/moby/api/types/container"
	dnetwork "github.com/moby/moby/api/types/network"
	"github.com/testcontainers/testcontainers-go"
	"github.com/testcontainers/testcontainers-go/network"

	"github.com/distsum/distsum/tests/testkit"
)

const (
	postgresPort   = 5432
	postgresVolume = "/var/lib/postgresql" // PGDATA is its data/ directory
	postgresDB     = "distsum"             // database and superuser the image creates
)

// Postgres is a PostgreSQL server (PostgresImage()) in a container whose data directory is a
// named volume, so Kill and Start keep every committed transaction (fsync is on).
type Postgres struct {
	Container *testcontainers.DockerContainer
	Image     string
	Alias     string // network alias
	Volume    string
	// URL reaches the database from the network (the calculators' CALCULATOR_POSTGRES_URL).
	URL string
	// HostURL reaches it from the host, on a fixed published port kept across restarts.
	HostURL string
}

// StartPostgres runs the database on nw under alias and waits until it accepts connections.
func StartPostgres(t testing.TB, nw *testcontainers.DockerNetwork, alias string) *Postgres {
	t.Helper()
	img := EnsurePostgresImage(t)
	hostPort := testkit.FreePort(t)
	p := &Postgres{
		Image:   img,
		Alias:   alias,
		Volume:  "distsum-postgres-" + testkit.RandomHex(6),
		URL:     fmt.Sprintf("postgres://%s@%s:%d/%s?sslmode=disable", postgresDB, alias, postgresPort, postgresDB),
		HostURL: fmt.Sprintf("postgres://%s@127.0.0.1:%d/%s?sslmode=disable", postgresDB, hostPort, postgresDB),
	}
	port := dnetwork.MustParsePort(fmt.Sprintf("%d/tcp", postgresPort))
	start := time.Now()
	ctr, err := testcontainers.Run(context.Background(), img,
		network.WithNetwork([]string{alias}, nw),
		// The official image's settings, which distsum/postgres reads too.
		testcontainers.WithEnv(map[string]string{
			"POSTGRES_USER": postgresDB, "POSTGRES_DB": postgresDB, "POSTGRES_HOST_AUTH_METHOD": "trust",
		}),
		testcontainers.WithExposedPorts(port.String()),
		testcontainers.WithHostConfigModifier(func(hc *container.HostConfig) {
			hc.PortBindings = dnetwork.PortMap{port: {{HostIP: netip.MustParseAddr("127.0.0.1"), HostPort: strconv.Itoa(hostPort)}}}
		}),
		testcontainers.WithMounts(testcontainers.VolumeMount(p.Volume, postgresVolume)),
	)
	p.Container = ctr
	testcontainers.CleanupContainer(t, ctr, testcontainers.RemoveVolumes(p.Volume))
	t.Cleanup(func() {
		if t.Failed() {
			logTail(t, ctr, "postgres "+alias, 40)
		}
	})
	if err != nil {
		logTail(t, ctr, "postgres "+alias, 40)
		t.Fatalf("infra: start postgres (%s): %v", img, err)
	}
	p.waitReady(t, 60*time.Second)
	t.Logf("infra: postgres %s (%s) up in %v; host %s, network %s", alias, img,
		time.Since(start).Round(time.Millisecond), p.HostURL, p.URL)
	return p
}

// Kill sends SIGKILL to the server (docker kill -s KILL): crash recovery on the next Start.
func (p *Postgres) Kill(t testing.TB) {
	t.Helper()
	killContainer(t, p.Container, "postgres "+p.Alias)
}

// Stop shuts the server down (SIGINT, the image's stop signal: fast shutdown, clients cut).
func (p *Postgres) Stop(t testing.TB) {
	t.Helper()
	timeout := 30 * time.Second
	if err := p.Container.Stop(context.Background(), &timeout); err != nil {
		t.Fatalf("infra: stop postgres %s: %v", p.Alias, err)
	}
}

// Start starts the stopped server again on the same volume and waits until it accepts
// connections; it returns how long that took.
func (p *Postgres) Start(t testing.TB) time.Duration {
	t.Helper()
	start := time.Now()
	if err := p.Container.Start(context.Background()); err != nil {
		t.Fatalf("infra: start postgres %s again: %v", p.Alias, err)
	}
	p.waitReady(t, 60*time.Second)
	d := time.Since(start)
	t.Logf("infra: postgres %s serving again after %v", p.Alias, d.Round(time.Millisecond))
	return d
}

// Restart is Kill followed by Start.
func (p *Postgres) Restart(t testing.TB) time.Duration {
	t.Helper()
	p.Kill(t)
	return p.Start(t)
}

// Connect opens a connection from the host.
func (p *Postgres) Connect(ctx context.Context) (*pgx.Conn, error) {
	return pgx.Connect(ctx, p.HostURL)
}

// waitReady polls from the host until a query succeeds (the server answers connections with
// "the database system is starting up" during recovery).
func (p *Postgres) waitReady(t testing.TB, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var last error
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		conn, err := p.Connect(ctx)
		if err == nil {
			_, err = conn.Exec(ctx, "SELECT 1")
			conn.Close(ctx)
		}
		cancel()
		if err == nil {
			return
		}
		last = err
		if st, serr := p.Container.State(context.Background()); serr == nil && !st.Running {
			logTail(t, p.Container, "postgres "+p.Alias, 40)
			t.Fatalf("infra: postgres %s exited (code %d) before it was ready", p.Alias, st.ExitCode)
		}
		time.Sleep(100 * time.Millisecond)
	}
	logTail(t, p.Container, "postgres "+p.Alias, 40)
	t.Fatalf("infra: postgres %s not ready after %v: %v", p.Alias, timeout, last)
}
