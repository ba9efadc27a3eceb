package main

import (
	"context"
	"io"
	"log/slog"
	"net"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	"github.com/distsum/distsum/libs/metrics"
	"github.com/distsum/distsum/proto/calculatorpb"
)

type panicking struct {
	calculatorpb.UnimplementedCalculatorServiceServer
}

func (panicking) Add(_ context.Context, req *calculatorpb.AddRequest) (*calculatorpb.AddResponse, error) {
	if req.GetNum1() == 13 {
		panic("unlucky number")
	}
	return &calculatorpb.AddResponse{Sum: req.GetNum1() + req.GetNum2()}, nil
}

// A handler that panics answers INTERNAL, is counted, and the server goes on
// serving.
func TestPanicInAHandlerIsRecovered(t *testing.T) {
	reg := metrics.NewRegistry()
	g := ProvideGRPC(testConfig(), panicking{}, reg, slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go g.Server.Serve(lis)
	defer g.Server.Stop()
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	c := calculatorpb.NewCalculatorServiceClient(conn)
	if _, err := c.Add(context.Background(), &calculatorpb.AddRequest{Num1: 13, Num2: 1}); status.Code(err) != codes.Internal {
		t.Fatalf("panicking Add: %v, want INTERNAL", err)
	}
	if r, err := c.Add(context.Background(), &calculatorpb.AddRequest{Num1: 2, Num2: 3}); err != nil || r.GetSum() != 5 {
		t.Fatalf("Add after a panic: %v %v", r, err)
	}
	want := `
# HELP grpc_server_panics_recovered_total gRPC calls whose handler panicked; each was answered INTERNAL.
# TYPE grpc_server_panics_recovered_total counter
grpc_server_panics_recovered_total 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "grpc_server_panics_recovered_total"); err != nil {
		t.Fatal(err)
	}
}

// testConfig is the calculator's default configuration.
func testConfig() Config {
	c, err := LoadConfig(nil)
	if err != nil {
		panic(err)
	}
	return c
}
