// Command postgres-entrypoint starts PostgreSQL 15 inside the distsum/postgres image, which has
// Debian's server binaries and no shell.
//
// On an empty data directory it runs initdb (the superuser is POSTGRES_USER, UTF8, C locale),
// allows every client with trust authentication (a development and test server on a private
// container network, as the official image with POSTGRES_HOST_AUTH_METHOD=trust), listens on
// every address and creates the database POSTGRES_DB; then it replaces itself with postgres, so
// the server is PID 1 and receives the container's signals directly. fsync stays on: a commit
// acknowledged to the calculator is on disk, as in production. Arguments are passed on to
// postgres (e.g. `-c max_connections=300`; `--version` only prints the version).
//
// Environment:
//
//	PGDATA         data directory (default /var/lib/postgresql/data; its parent is the volume)
//	POSTGRES_USER  superuser created by initdb (default distsum)
//	POSTGRES_DB    database created at initialisation (default distsum)
//
// initdb and postgres refuse to run as root: started as root, it hands the volume to the
// postgres user (uid 999) and drops to it first.
package main

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
)

const (
	binDir      = "/usr/lib/postgresql/15/bin"
	defaultData = "/var/lib/postgresql/data"
	pgUID       = 999
	pgGID       = 999
)

// hba lets any client in without a password: the server is only reachable on the suite's or
// compose's private network.
const hba = `# Written by postgres-entrypoint: trust on the private container network.
local all all trust
host  all all all trust
`

var identRe = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

// dropRoot gives the data volume to the postgres user and switches to it.
func dropRoot(volume string) error {
	if os.Geteuid() != 0 {
		return nil
	}
	if err := os.MkdirAll(volume, 0o700); err != nil {
		return err
	}
	err := filepath.WalkDir(volume, func(p string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, pgUID, pgGID)
	})
	if err != nil {
		return fmt.Errorf("chown %s: %w", volume, err)
	}
	if err := syscall.Setgroups(nil); err != nil {
		return err
	}
	if err := syscall.Setgid(pgGID); err != nil {
		return err
	}
	return syscall.Setuid(pgUID)
}

func run(cmd string, stdin string, args ...string) error {
	c := exec.Command(filepath.Join(binDir, cmd), args...)
	c.Stdout, c.Stderr = os.Stderr, os.Stderr
	if stdin != "" {
		c.Stdin = strings.NewReader(stdin)
	}
	if err := c.Run(); err != nil {
		return fmt.Errorf("%s: %w", cmd, err)
	}
	return nil
}

// initialise creates the cluster next to data and renames it into place once complete, so a
// container killed during initialisation starts over instead of serving a half-made cluster.
func initialise(data, user, db string) error {
	tmp := data + ".init"
	if err := os.RemoveAll(tmp); err != nil {
		return err
	}
	slog.Info("initialising a new cluster", "pgdata", data, "user", user, "db", db)
	if err := run("initdb", "", "-D", tmp, "-U", user, "--auth=trust", "-E", "UTF8", "--no-locale"); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(tmp, "pg_hba.conf"), []byte(hba), 0o600); err != nil {
		return err
	}
	if db != "postgres" {
		// Single-user mode: no server, no client library; one statement per line.
		if err := run("postgres", "CREATE DATABASE "+db+";\n", "--single", "-D", tmp, "postgres"); err != nil {
			return fmt.Errorf("create database %s: %w", db, err)
		}
	}
	return os.Rename(tmp, data)
}

func start() error {
	if len(os.Args) > 1 && (os.Args[1] == "--version" || os.Args[1] == "-V") {
		bin := filepath.Join(binDir, "postgres")
		return syscall.Exec(bin, []string{bin, "--version"}, os.Environ())
	}
	data := envOr("PGDATA", defaultData)
	user, db := envOr("POSTGRES_USER", "distsum"), envOr("POSTGRES_DB", "distsum")
	for _, id := range []string{user, db} {
		if !identRe.MatchString(id) {
			return fmt.Errorf("%q is not a plain lower-case SQL identifier (POSTGRES_USER, POSTGRES_DB)", id)
		}
	}
	if err := dropRoot(filepath.Dir(data)); err != nil {
		return fmt.Errorf("drop root: %w", err)
	}
	if _, err := os.Stat(filepath.Join(data, "PG_VERSION")); errors.Is(err, fs.ErrNotExist) {
		if err := initialise(data, user, db); err != nil {
			return err
		}
	} else if err != nil {
		return err
	}
	bin := filepath.Join(binDir, "postgres")
	argv := []string{bin, "-D", data, "-c", "listen_addresses=*", "-c", "unix_socket_directories=/tmp",
		"-c", "fsync=on", "-c", "synchronous_commit=on", "-c", "jit=off"}
	argv = append(argv, os.Args[1:]...)
	slog.Info("starting postgres", "pgdata", data, "args", os.Args[1:])
	return syscall.Exec(bin, argv, os.Environ())
}

func main() {
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, nil)))
	if err := start(); err != nil {
		slog.Error("postgres-entrypoint failed", "err", err)
		os.Exit(1)
	}
}
