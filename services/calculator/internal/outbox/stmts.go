package outbox

import (
	"context"
	"database/sql"
	"math/bits"
	"strings"
)

// stmts are the writer's multi-row statements, prepared once per size.
// SQLite parsed a batch-sized statement on every group commit (about a tenth
// of the calculator's CPU under load); a batch is now run as power-of-two
// chunks (100 rows = 64 + 32 + 4), each a statement prepared the first time
// that size is used, so at most a dozen sizes per statement are ever parsed.
// Only the writer goroutine uses it.
type stmts struct {
	db *sql.DB
	m  map[stmtKey]*sql.Stmt
}

type stmtKey struct {
	head, row, tail string // the statement is head + rows × row (comma-separated) + tail
	rows            int
}

func newStmts(db *sql.DB) *stmts { return &stmts{db: db, m: map[stmtKey]*sql.Stmt{}} }

// in returns the statement for rows rows, prepared, as part of tx.
func (c *stmts) in(ctx context.Context, tx *sql.Tx, head, row, tail string, rows int) (*sql.Stmt, error) {
	k := stmtKey{head, row, tail, rows}
	st, ok := c.m[k]
	if !ok {
		var q strings.Builder
		q.WriteString(head)
		for i := 0; i < rows; i++ {
			if i > 0 {
				q.WriteByte(',')
			}
			q.WriteString(row)
		}
		q.WriteString(tail)
		var err error
		if st, err = c.db.PrepareContext(ctx, q.String()); err != nil {
			return nil, err
		}
		c.m[k] = st
	}
	return tx.StmtContext(ctx, st), nil
}

func (c *stmts) close() {
	for _, st := range c.m {
		st.Close()
	}
}

// chunks calls fn for n rows in power-of-two runs, largest first.
func chunks(n int, fn func(off, size int) error) error {
	for off := 0; off < n; {
		size := 1 << (bits.Len(uint(n-off)) - 1)
		if err := fn(off, size); err != nil {
			return err
		}
		off += size
	}
	return nil
}
