package ctl

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/distsum/distsum/proto/calculatorpb"
)

func run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := Main(context.Background(), args, &out, &errOut)
	return code, out.String(), errOut.String()
}

// calculator answers Add like the service: the sum, a token, replayed for a known request id.
type calculator struct {
	calculatorpb.UnimplementedCalculatorServiceServer
	seq atomic.Uint64
}

func (c *calculator) Add(_ context.Context, r *calculatorpb.AddRequest) (*calculatorpb.AddResponse, error) {
	if r.GetNum1() == 13 {
		return nil, status.Error(codes.Unavailable, "outbox busy")
	}
	if r.GetRequestId() == "seen" {
		return &calculatorpb.AddResponse{Sum: r.GetNum1() + r.GetNum2(), Token: "calc-x:1", ProducerId: "calc-x", Sequence: 1, Replayed: true}, nil
	}
	s := c.seq.Add(1)
	return &calculatorpb.AddResponse{Sum: r.GetNum1() + r.GetNum2(), Token: fmt.Sprintf("calc-x:%d", s), ProducerId: "calc-x", Sequence: s}, nil
}

func startCalculator(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := grpc.NewServer()
	calculatorpb.RegisterCalculatorServiceServer(s, &calculator{})
	go s.Serve(ln) //nolint:errcheck // ends with Stop
	t.Cleanup(s.Stop)
	return ln.Addr().String()
}

func TestAdd(t *testing.T) {
	addr := startCalculator(t)
	code, out, _ := run(t, "--calculator", addr, "add", "5", "10")
	if code != ExitOK || out != "sum       15\ntoken     calc-x:1\nreplayed  false\n" {
		t.Fatalf("exit %d, output %q", code, out)
	}
	var got map[string]any
	// After --, "--request-id" is an argument too: three arguments are a usage error.
	if code, _, _ := run(t, "--calculator", addr, "add", "--", "-5", "3", "x"); code != ExitUsage {
		t.Fatalf("three numbers: exit %d", code)
	}
	code, out, _ = run(t, "--calculator", addr, "add", "--json", "--request-id", "seen", "--", "-5", "3")
	if err := json.Unmarshal([]byte(out), &got); code != ExitOK || err != nil || got["sum"] != float64(-2) || got["replayed"] != true || got["token"] != "calc-x:1" {
		t.Fatalf("exit %d, output %q", code, out)
	}
	code, _, errOut := run(t, "--calculator", addr, "add", "13", "1", "--request-id", "r-1")
	if code != ExitFailure || !strings.Contains(errOut, "Unavailable: outbox busy") || !strings.Contains(errOut, "retry with the same --request-id") {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
}

// totals answers like the service: /total, /total?after (503 for the first waits), /stats.
func totals(t *testing.T) string {
	t.Helper()
	var waits atomic.Int32
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/total" && r.URL.Query().Get("after") == "":
			fmt.Fprintln(w, "123456789012345678901234567890")
		case r.URL.Path == "/total" && r.URL.Query().Get("after") == "calc-x:9":
			http.Error(w, `{"error":"event calc-x:9 is not counted yet"}`, http.StatusServiceUnavailable)
		case r.URL.Path == "/total":
			if waits.Add(1) < 3 {
				http.Error(w, `{"error":"not counted yet"}`, http.StatusServiceUnavailable)
				return
			}
			fmt.Fprintln(w, "42")
		case r.URL.Path == "/stats":
			fmt.Fprintln(w, `{"total":-5,"applied":3,"duplicates_skipped":1,"malformed":0,"sequence_gaps":0,"held":0,"producers":{"p1":3},"offsets":{"0":4}}`)
		default:
			http.Error(w, `{"error":"no route"}`, http.StatusNotFound)
		}
	}))
	t.Cleanup(s.Close)
	return s.URL
}

func TestTotalAndStats(t *testing.T) {
	url := totals(t)
	if code, out, _ := run(t, "--totals", url, "total"); code != ExitOK || out != "123456789012345678901234567890\n" {
		t.Fatalf("total: exit %d %q", code, out)
	}
	if code, out, _ := run(t, "--totals", url, "total", "--after", "calc-x:1", "--wait", "20s"); code != ExitOK || out != "42\n" {
		t.Fatalf("total --after: exit %d %q", code, out)
	}
	code, _, errOut := run(t, "--totals", url, "total", "--after", "calc-x:9", "--wait", "300ms")
	if code != ExitFailure || !strings.Contains(errOut, "calc-x:9 is not counted by") {
		t.Fatalf("total --after, never counted: exit %d %q", code, errOut)
	}
	code, out, _ := run(t, "--totals", url, "--totals-ops", url, "stats")
	var st map[string]any
	if err := json.Unmarshal([]byte(out), &st); code != ExitOK || err != nil || !strings.Contains(out, "\n  \"total\": -5,") {
		t.Fatalf("stats: exit %d %q %v", code, out, err)
	}
	if code, out, _ := run(t, "--totals", url, "--json", "total"); code != ExitOK || out != `{"total":123456789012345678901234567890}`+"\n" {
		t.Fatalf("total --json: exit %d %q", code, out)
	}
	if code, _, errOut := run(t, "--totals", url+"/nowhere", "total"); code != ExitFailure || !strings.Contains(errOut, "HTTP 404") {
		t.Fatalf("total from a wrong URL: exit %d %q", code, errOut)
	}
}

func TestUsageErrorsExitWith2(t *testing.T) {
	for _, args := range [][]string{
		{"bogus"},
		{"add", "1"},
		{"add", "1", "x"},
		{"add", "-5", "3"},
		{"add", "1", "99999999999999999999"},
		{"total", "extra"},
		{"total", "--after", "nonsense"},
		{"total", "--wait", "1s"},
		{"stats", "--nope"},
		{"--log-level", "loud", "stats"},
		{"--timeout", "0s", "stats"},
		{"audit", "--base-total", "5"},
		{"audit", "--from-offsets", "0:1"},
		{"audit", "--from-offsets", "x", "--base-total", "1"},
		{"audit", "--from-offsets", "0:1", "--base-total", "1.5"},
		{"audit", "--from-offsets", "0:1", "--base-total", "1", "--base-hwm", "p"},
		{"audit", "--wait", "0s"},
		{"audit", "--replicas", ","},
		{"audit", "--kafka-brokers", ""},
	} {
		if code, _, errOut := run(t, args...); code != ExitUsage || !strings.Contains(errOut, "distsumctl: ") {
			t.Errorf("%q: exit %d, stderr %q", args, code, errOut)
		}
	}
	t.Setenv("DISTSUMCTL_TIMEOUT", "soon")
	if code, _, errOut := run(t, "stats"); code != ExitUsage || !strings.Contains(errOut, "DISTSUMCTL_TIMEOUT") {
		t.Errorf("bad environment: exit %d %q", code, errOut)
	}
}

func TestEnvironmentDefaults(t *testing.T) {
	t.Setenv("TOTALS_URL", totals(t))
	if code, out, _ := run(t, "total"); code != ExitOK || out != "123456789012345678901234567890\n" {
		t.Fatalf("total with TOTALS_URL: exit %d %q", code, out)
	}
}

func TestAuditWithoutKafkaFails(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	if code, _, errOut := run(t, "--kafka-brokers", addr, "audit"); code != ExitFailure || !strings.Contains(errOut, addr) {
		t.Fatalf("exit %d %q", code, errOut)
	}
}
