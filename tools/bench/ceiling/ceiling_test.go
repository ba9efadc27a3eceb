package ceiling

import (
	"context"
	"net"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	"github.com/distsum/distsum/proto/calculatorpb"
)

func TestCeilingAnswersTheContract(t *testing.T) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go Serve(lis)
	defer lis.Close()
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	c := calculatorpb.NewCalculatorServiceClient(conn)
	for i, want := range []string{"ceiling:1", "ceiling:2"} {
		r, err := c.Add(context.Background(), &calculatorpb.AddRequest{Num1: 5, Num2: int64(10 * i)})
		if err != nil {
			t.Fatal(err)
		}
		if r.GetSum() != 5+int64(10*i) || r.GetToken() != want {
			t.Fatalf("Add %d: sum %d token %q, want %d %q", i, r.GetSum(), r.GetToken(), 5+10*i, want)
		}
	}
	_, err = c.Add(context.Background(), &calculatorpb.AddRequest{Num1: 1 << 62, Num2: 1 << 62})
	if status.Code(err) != codes.OutOfRange {
		t.Fatalf("overflow: %v, want OUT_OF_RANGE", err)
	}
}
