package testkit

// postgres.go runs a throwaway PostgreSQL server (Debian's postgresql
// package: scripts/postgres.sh installs it) on a free loopback port with its
// data in a temporary directory, for the tests of the calculator's shared
// outbox. initdb and postgres refuse to run as root, so as root they run as
// the "postgres" system user the package creates.

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Postgres is a running throwaway server.
type Postgres struct {
	Port    int
	dir     string
	cmd     *exec.Cmd
	done    chan struct{}
	logPath string
	dbs     atomic.Int64
}

// PostgresBinDir finds initdb and postgres: PG_BIN, else Debian's
// /usr/lib/postgresql/<version>/bin, else PATH.
func PostgresBinDir() (string, error) {
	if d := os.Getenv("PG_BIN"); d != "" {
		return d, nil
	}
	if m, _ := filepath.Glob("/usr/lib/postgresql/*/bin/postgres"); len(m) > 0 {
		return filepath.Dir(m[len(m)-1]), nil
	}
	if p, err := exec.LookPath("postgres"); err == nil {
		return filepath.Dir(p), nil
	}
	return "", fmt.Errorf("postgres not found (PG_BIN, /usr/lib/postgresql/*/bin, PATH): run scripts/postgres.sh install")
}

// StartPostgres initdb's a fresh cluster and runs it until the test ends.
func StartPostgres(t testing.TB) *Postgres {
	t.Helper()
	bin, err := PostgresBinDir()
	if err != nil {
		t.Fatal(err)
	}
	cred, err := postgresCredential()
	if err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "distsum-pg-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if cred != nil {
		if err := os.Chown(dir, int(cred.Uid), int(cred.Gid)); err != nil {
			t.Fatal(err)
		}
	}
	p := &Postgres{Port: FreePort(t), dir: dir, logPath: filepath.Join(dir, "postgres.log"), done: make(chan struct{})}
	data := filepath.Join(dir, "data")
	initdb := exec.Command(filepath.Join(bin, "initdb"), "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")
	initdb.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	if out, err := initdb.CombinedOutput(); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	log, err := os.Create(p.logPath)
	if err != nil {
		t.Fatal(err)
	}
	if cred != nil {
		os.Chown(p.logPath, int(cred.Uid), int(cred.Gid)) //nolint:errcheck // only for the log
	}
	// fsync stays on (the default): commits are as durable as in production.
	p.cmd = exec.Command(filepath.Join(bin, "postgres"), "-D", data, "-p", strconv.Itoa(p.Port),
		"-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories="+dir, "-c", "max_connections=200")
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	p.cmd.Stdout, p.cmd.Stderr = log, log
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.cmd.Wait(); log.Close(); close(p.done) }() //nolint:errcheck // exit status is in the log
	t.Cleanup(func() {
		p.cmd.Process.Signal(syscall.SIGINT) //nolint:errcheck // fast shutdown
		select {
		case <-p.done:
		case <-time.After(10 * time.Second):
			p.cmd.Process.Kill() //nolint:errcheck
			<-p.done
		}
		if t.Failed() {
			t.Logf("postgres: last lines of %s:\n%s", p.logPath, tail(p.logPath, 20))
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		conn, err := pgx.Connect(ctx, p.url("postgres"))
		cancel()
		if err == nil {
			conn.Close(context.Background())
			return p
		}
		select {
		case <-p.done:
			t.Fatalf("postgres exited during start:\n%s", tail(p.logPath, 20))
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("postgres not answering after 30s: %v\n%s", err, tail(p.logPath, 20))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// postgresCredential is the "postgres" user when running as root, nil
// otherwise (run as ourselves).
func postgresCredential() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("running as root needs a postgres user for initdb (apt-get install postgresql creates it): %w", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

func (p *Postgres) url(db string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", p.Port, db)
}

// NewDatabase creates an empty database and returns its URL.
func (p *Postgres) NewDatabase(t testing.TB) string {
	t.Helper()
	name := fmt.Sprintf("t%d_%s", p.dbs.Add(1), strings.ToLower(RandomHex(4)))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, p.url("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatal(err)
	}
	return p.url(name)
}

// Kill stops the server with SIGKILL (for tests of a lost database).
func (p *Postgres) Kill() {
	p.cmd.Process.Kill() //nolint:errcheck
	<-p.done
}
