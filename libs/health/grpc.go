package health

import (
	"context"
	"time"

	grpchealth "google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/distsum/distsum/libs/lifecycle"
)

// SyncGRPC keeps a gRPC health server in step with the readiness checks:
// every interval the overall status ("") and each named service are SERVING
// when every check passes and NOT_SERVING otherwise, so gRPC clients and
// Kubernetes' grpc probes see what /readyz says. It returns when ctx ends.
func (c *Checker) SyncGRPC(ctx context.Context, hs *grpchealth.Server, interval time.Duration, services ...string) {
	set := func() {
		st := healthpb.HealthCheckResponse_SERVING
		if len(c.Ready(ctx)) > 0 {
			st = healthpb.HealthCheckResponse_NOT_SERVING
		}
		for _, svc := range append([]string{""}, services...) {
			hs.SetServingStatus(svc, st)
		}
	}
	set()
	lifecycle.Every(ctx, interval, set)
}
