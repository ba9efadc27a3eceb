package server

import (
	"context"
	"io"
	"log/slog"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/distsum/distsum/proto/calculatorpb"
	"github.com/distsum/distsum/services/calculator/internal/outbox"
)

func newCalculator(t *testing.T) (*Calculator, *outbox.Store) {
	s, err := outbox.Open(filepath.Join(t.TempDir(), "outbox.db"), outbox.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return New(s, slog.New(slog.NewTextHandler(io.Discard, nil))), s
}

func TestAdd(t *testing.T) {
	c, store := newCalculator(t)
	resp, err := c.Add(context.Background(), &calculatorpb.AddRequest{Num1: 5, Num2: 10})
	if err != nil || resp.Sum != 15 || resp.Sequence != 1 || resp.Token != store.ProducerID()+":1" {
		t.Fatalf("Add(5,10) = %+v, %v", resp, err)
	}
	resp, err = c.Add(context.Background(), &calculatorpb.AddRequest{Num1: math.MaxInt32, Num2: math.MaxInt32})
	if err != nil || resp.Sum != 2*math.MaxInt32 {
		t.Fatalf("beyond int32: %+v %v", resp, err)
	}
}

func TestAddErrors(t *testing.T) {
	c, store := newCalculator(t)
	cases := []struct {
		name string
		req  *calculatorpb.AddRequest
		code codes.Code
	}{
		{"overflow", &calculatorpb.AddRequest{Num1: math.MaxInt64, Num2: 1}, codes.OutOfRange},
		{"underflow", &calculatorpb.AddRequest{Num1: math.MinInt64, Num2: -1}, codes.OutOfRange},
		{"long request_id", &calculatorpb.AddRequest{Num1: 1, RequestId: strings.Repeat("x", 129)}, codes.InvalidArgument},
		{"space in request_id", &calculatorpb.AddRequest{Num1: 1, RequestId: "a b"}, codes.InvalidArgument},
		{"non-ASCII request_id", &calculatorpb.AddRequest{Num1: 1, RequestId: "é"}, codes.InvalidArgument},
	}
	for _, tc := range cases {
		_, err := c.Add(context.Background(), tc.req)
		if status.Code(err) != tc.code {
			t.Errorf("%s: %v, want %s", tc.name, err, tc.code)
		}
	}
	if n, _, _ := store.Backlog(context.Background()); n != 0 {
		t.Fatalf("rejected requests recorded %d events", n)
	}
}

func TestRetriedRequestIDIsAnsweredOnceAndCountedOnce(t *testing.T) {
	c, store := newCalculator(t)
	id := strings.Repeat("k", MaxRequestIDLen)
	first, err := c.Add(context.Background(), &calculatorpb.AddRequest{Num1: 2, Num2: 3, RequestId: id})
	if err != nil {
		t.Fatal(err)
	}
	again, err := c.Add(context.Background(), &calculatorpb.AddRequest{Num1: 2, Num2: 3, RequestId: id})
	if err != nil || !again.Replayed || again.Token != first.Token || again.Sum != 5 {
		t.Fatalf("retry = %+v %v", again, err)
	}
	_, err = c.Add(context.Background(), &calculatorpb.AddRequest{Num1: 2, Num2: 4, RequestId: id})
	if status.Code(err) != codes.InvalidArgument {
		t.Fatalf("reuse with other numbers: %v", err)
	}
	if n, _, _ := store.Backlog(context.Background()); n != 1 {
		t.Fatalf("%d events recorded, want 1", n)
	}
}

func TestAddAfterShutdownIsUnavailable(t *testing.T) {
	c, store := newCalculator(t)
	store.Close()
	_, err := c.Add(context.Background(), &calculatorpb.AddRequest{Num1: 1, Num2: 1})
	if status.Code(err) != codes.Unavailable {
		t.Fatalf("%v, want Unavailable", err)
	}
}
