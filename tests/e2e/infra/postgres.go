package infra

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/testcontainers/testcontainers-go"

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
	start := time.Now()
	p.Container = startNode(t, nw, nodeSpec{
		Name: "postgres " + alias, Image: img, Alias: alias,
		// The official image's settings, which distsum/postgres reads too.
		Env: map[string]string{
			"POSTGRES_USER": postgresDB, "POSTGRES_DB": postgresDB, "POSTGRES_HOST_AUTH_METHOD": "trust",
		},
		Port: postgresPort, HostPort: hostPort, Volume: p.Volume, DataDir: postgresVolume,
	})
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
	return startAgain(t, p.Container, "postgres "+p.Alias, func() { p.waitReady(t, 60*time.Second) })
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
	waitProbe(t, p.Container, "postgres "+p.Alias, timeout, 100*time.Millisecond, func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		conn, err := p.Connect(ctx)
		if err != nil {
			return err
		}
		defer conn.Close(ctx)
		_, err = conn.Exec(ctx, "SELECT 1")
		return err
	})
}
