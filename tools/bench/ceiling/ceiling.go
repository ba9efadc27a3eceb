// Package ceiling is the speed limit the calculator is measured against: a
// gRPC server with the calculator's contract (proto/calculatorpb) that checks
// and adds the numbers and answers with a token, but stores nothing. What the
// calculator does beyond it (the outbox's group commit and fsync, the
// idempotency key, its interceptors) is the cost of durability.
package ceiling

import (
	"context"
	"net"
	"strconv"
	"sync/atomic"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/distsum/distsum/libs/sumevent"
	"github.com/distsum/distsum/proto/calculatorpb"
)

// ProducerID is the producer the ceiling's tokens name.
const ProducerID = "ceiling"

// Server answers Add from memory.
type Server struct {
	calculatorpb.UnimplementedCalculatorServiceServer
	seq atomic.Uint64
}

// Add answers num1 + num2 with the next sequence, as the calculator would,
// without recording anything.
func (s *Server) Add(_ context.Context, req *calculatorpb.AddRequest) (*calculatorpb.AddResponse, error) {
	sum, ok := sumevent.CheckedAdd(req.GetNum1(), req.GetNum2())
	if !ok {
		return nil, status.Error(codes.OutOfRange, "sum is outside int64")
	}
	seq := s.seq.Add(1)
	return &calculatorpb.AddResponse{Sum: sum, ProducerId: ProducerID, Sequence: seq,
		Token: ProducerID + ":" + strconv.FormatUint(seq, 10)}, nil
}

// Count is how many Adds it answered.
func (s *Server) Count() uint64 { return s.seq.Load() }

// Serve serves the ceiling on lis until it is closed.
func Serve(lis net.Listener) error {
	g := grpc.NewServer()
	calculatorpb.RegisterCalculatorServiceServer(g, &Server{})
	return g.Serve(lis)
}
