package integration

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/distsum/distsum/proto/calculatorpb"
	"github.com/distsum/distsum/tests/testkit"
)

// TestFullDiskMakesTheCalculatorNotReady runs the calculator with its outbox
// on a small tmpfs and fills that file system for real. While it is full,
// Adds are answered UNAVAILABLE, /readyz is 503 and says the outbox cannot
// commit, and the repeated commit error is logged a bounded number of times
// (ratelog's `repeated`). Once space is freed the calculator is ready again
// by itself, with no Add in between, the failed Adds retried with their
// request ids succeed, and totals counts every acknowledged Add exactly once.
func TestFullDiskMakesTheCalculatorNotReady(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to mount a small tmpfs")
	}
	disk := t.TempDir()
	if err := syscall.Mount("tmpfs", disk, "tmpfs", 0, "size=8m"); err != nil {
		t.Skipf("cannot mount a tmpfs here: %v", err)
	}
	// Registered before the services start: unmounted after they stop.
	t.Cleanup(func() { syscall.Unmount(disk, syscall.MNT_DETACH) }) //nolint:errcheck // best effort

	k := startKafka(t)
	totals := testkit.StartTotals(t, k.Bootstrap())
	calc := testkit.StartCalculator(t, k.Bootstrap(), "CALCULATOR_DATA_DIR="+filepath.Join(disk, "data"))
	client := calc.Client(t)
	readyz := "http://" + calc.HTTPAddr + "/readyz"

	expected := new(big.Int)
	var last string // token of the last acknowledged Add (one producer: counted in order)
	add := func(id string, n int64) (*calculatorpb.AddResponse, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return client.Add(ctx, &calculatorpb.AddRequest{Num1: n, Num2: 1, RequestId: id})
	}
	acked := func(r *calculatorpb.AddResponse) {
		expected.Add(expected, big.NewInt(r.GetSum()))
		last = r.GetToken()
	}
	for i := range int64(20) {
		r, err := add(fmt.Sprint("before-", i), i)
		if err != nil {
			t.Fatal(err)
		}
		acked(r)
	}
	waitReady(t, readyz, 200, 10*time.Second)

	filler := fill(t, disk)
	logStart := logSize(t, calc.LogPath())

	// Four clients keep adding for 4 s; each Add fails fast (no durable commit).
	const window = 4 * time.Second
	var mu sync.Mutex
	failed := map[string]int64{}
	unavailable, attempts := 0, 0
	var other []error
	var wg sync.WaitGroup
	stop := time.Now().Add(window)
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int64(0); time.Now().Before(stop); i++ {
				id, n := fmt.Sprintf("full-%d-%d", w, i), 1000*int64(w)+i
				r, err := add(id, n)
				mu.Lock()
				attempts++
				switch {
				case err == nil:
					acked(r) // a commit that still found room: acknowledged, so counted
				case status.Code(err) == codes.Unavailable:
					unavailable++
					failed[id] = n
				default:
					other = append(other, err)
					failed[id] = n
				}
				mu.Unlock()
			}
		}()
	}
	// Meanwhile the calculator says why it is not ready.
	code, body := waitReady(t, readyz, 503, window)
	wg.Wait()
	if len(other) > 0 {
		t.Fatalf("%d Adds failed with another code than UNAVAILABLE, first: %v", len(other), other[0])
	}
	if unavailable < 20 {
		t.Fatalf("only %d of %d Adds on a full disk were UNAVAILABLE", unavailable, attempts)
	}
	if !strings.Contains(body, "outbox cannot commit") || !strings.Contains(body, "disk full?") {
		t.Fatalf("/readyz %d on a full disk: %s; want the outbox's reason", code, body)
	}
	t.Logf("full disk: %d Adds, %d UNAVAILABLE; /readyz %d %s", attempts, unavailable, code, strings.TrimSpace(body))

	// Bounded logging: identical lines at most about once a second, the rest counted.
	lines := logLines(t, calc.LogPath(), logStart, `"msg":"outbox commit failed"`)
	maxLines := int(window/time.Second) + 3
	if len(lines) == 0 || len(lines) > maxLines {
		t.Fatalf("%d 'outbox commit failed' lines for %d failed Adds; want 1..%d", len(lines), unavailable, maxLines)
	}
	if !strings.Contains(strings.Join(lines, "\n"), `"repeated":`) {
		t.Fatalf("no 'outbox commit failed' line says how many identical ones were dropped:\n%s", strings.Join(lines, "\n"))
	}
	t.Logf("%d failed Adds logged in %d lines", unavailable, len(lines))

	// Space freed, no Add sent: ready again by itself (the outbox's probe commit).
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	freed := time.Now()
	waitReady(t, readyz, 200, 15*time.Second)
	t.Logf("ready %v after space was freed", time.Since(freed))

	// The failed Adds, retried with their request ids, and new ones succeed.
	for id, n := range failed {
		r, err := add(id, n)
		if err != nil {
			t.Fatalf("retry of %s after space was freed: %v", id, err)
		}
		if r.GetReplayed() {
			t.Fatalf("retry of %s was replayed: a failed commit recorded it", id)
		}
		acked(r)
	}
	for i := range int64(20) {
		r, err := add(fmt.Sprint("after-", i), i)
		if err != nil {
			t.Fatal(err)
		}
		acked(r)
	}
	if got := totals.WaitCounted(t, last, 60*time.Second); got.Cmp(expected) != 0 {
		t.Fatalf("total %s, acknowledged Adds add up to %s", got, expected)
	}
}

// fill writes a file in dir until the file system has no space left, and
// returns its path.
func fill(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "filler")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, size := range []int{1 << 20, 64 << 10, 4 << 10, 512, 1} {
		buf := make([]byte, size)
		for {
			if _, err := f.Write(buf); err != nil {
				if !errors.Is(err, syscall.ENOSPC) {
					t.Fatal(err)
				}
				break
			}
		}
	}
	return path
}

// waitReady polls url until it answers want, and returns the last answer.
func waitReady(t *testing.T, url string, want int, timeout time.Duration) (int, string) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		code, body := get(t, url)
		if code == want {
			return code, body
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %d %s after %v, want %d", url, code, body, timeout, want)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func logSize(t *testing.T, path string) int64 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

// logLines returns the lines of the log from offset on that contain substr.
func logLines(t *testing.T, path string, offset int64, substr string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, l := range strings.Split(string(b[offset:]), "\n") {
		if strings.Contains(l, substr) {
			out = append(out, l)
		}
	}
	return out
}
