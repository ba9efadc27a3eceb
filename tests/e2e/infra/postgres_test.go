package infra_test

import (
	"context"
	"testing"
	"time"

	"github.com/distsum/distsum/tests/e2e/infra"
)

// TestPostgresSurvivesKill commits rows from the host, kills the server with SIGKILL, starts it
// on the same volume and reads them back; then the same through a graceful stop. A commit the
// server acknowledged is on disk (fsync on), so none may be missing.
func TestPostgresSurvivesKill(t *testing.T) {
	nw := infra.NewNetwork(t)
	pg := infra.StartPostgres(t, nw, "postgres")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	exec := func(sql string, args ...any) {
		t.Helper()
		conn, err := pg.Connect(ctx)
		if err != nil {
			t.Fatalf("connect %s: %v", pg.HostURL, err)
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, sql, args...); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	count := func() int {
		t.Helper()
		conn, err := pg.Connect(ctx)
		if err != nil {
			t.Fatalf("connect: %v", err)
		}
		defer conn.Close(ctx)
		var n int
		if err := conn.QueryRow(ctx, "SELECT count(*) FROM t").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	var settings [2]string
	conn, err := pg.Connect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := conn.QueryRow(ctx, "SELECT current_setting('fsync'), current_user").Scan(&settings[0], &settings[1]); err != nil {
		t.Fatal(err)
	}
	conn.Close(ctx)
	if settings != [2]string{"on", "distsum"} {
		t.Fatalf("fsync, user = %v, want [on distsum]", settings)
	}

	exec("CREATE TABLE t (i int PRIMARY KEY)")
	for i := range 200 {
		exec("INSERT INTO t VALUES ($1)", i)
	}
	d := pg.Restart(t)
	if n := count(); n != 200 {
		t.Fatalf("after kill -9: %d of 200 committed rows", n)
	}
	t.Logf("killed and serving again in %v", d.Round(time.Millisecond))

	exec("INSERT INTO t SELECT generate_series(200, 299)")
	pg.Stop(t)
	pg.Start(t)
	if n := count(); n != 300 {
		t.Fatalf("after stop and start: %d of 300 committed rows", n)
	}
}
