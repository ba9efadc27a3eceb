// Package server implements the CalculatorService gRPC API.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/distsum/distsum/libs/sumevent"
	"github.com/distsum/distsum/proto/calculatorpb"
	"github.com/distsum/distsum/services/calculator/internal/outbox"
)

// MaxRequestIDLen bounds idempotency keys.
const MaxRequestIDLen = 128

// Appender records accepted sums durably.
type Appender interface {
	Append(ctx context.Context, e outbox.Entry) (outbox.Result, error)
}

// Calculator answers Add.
type Calculator struct {
	calculatorpb.UnimplementedCalculatorServiceServer
	store Appender
	log   *slog.Logger
}

// New returns the service implementation.
func New(store Appender, log *slog.Logger) *Calculator {
	return &Calculator{store: store, log: log}
}

// Add returns num1 + num2 once the sum is durably recorded for the total.
func (c *Calculator) Add(ctx context.Context, req *calculatorpb.AddRequest) (*calculatorpb.AddResponse, error) {
	if err := ValidateRequestID(req.GetRequestId()); err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	sum, ok := sumevent.CheckedAdd(req.GetNum1(), req.GetNum2())
	if !ok {
		return nil, status.Errorf(codes.OutOfRange, "%d + %d does not fit in a 64-bit integer", req.GetNum1(), req.GetNum2())
	}
	res, err := c.store.Append(ctx, outbox.Entry{RequestID: req.GetRequestId(), Num1: req.GetNum1(), Num2: req.GetNum2(), Sum: sum})
	switch {
	case err == nil:
	case errors.Is(err, outbox.ErrRequestIDConflict):
		return nil, status.Errorf(codes.InvalidArgument, "request_id %q: %v", req.GetRequestId(), err)
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return nil, status.FromContextError(err).Err()
	case errors.Is(err, outbox.ErrClosed):
		return nil, status.Error(codes.Unavailable, "calculator is shutting down; retry with the same request_id")
	default:
		c.log.ErrorContext(ctx, "add not recorded", "err", err)
		return nil, status.Error(codes.Unavailable, "the sum could not be recorded durably; retry with the same request_id")
	}
	e := res.Event
	// With LOG_LEVEL=debug every Add is logged, with its trace id when traced.
	if c.log.Enabled(ctx, slog.LevelDebug) {
		c.log.DebugContext(ctx, "add recorded", "token", e.Token().String(), "replayed", res.Replayed)
	}
	return &calculatorpb.AddResponse{
		Sum:        e.Sum,
		Token:      e.Token().String(),
		ProducerId: e.ProducerID,
		Sequence:   e.Sequence,
		Replayed:   res.Replayed,
	}, nil
}

// ValidateRequestID accepts an empty id (no idempotency) or 1..128 bytes of
// printable ASCII.
func ValidateRequestID(id string) error {
	if len(id) > MaxRequestIDLen {
		return fmt.Errorf("request_id is %d bytes; at most %d", len(id), MaxRequestIDLen)
	}
	for i := 0; i < len(id); i++ {
		if id[i] < 0x21 || id[i] > 0x7e {
			return fmt.Errorf("request_id has a byte 0x%02x outside printable ASCII at %d", id[i], i)
		}
	}
	return nil
}
