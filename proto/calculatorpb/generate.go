// Package calculatorpb holds the Go stubs of proto/calculator.proto, the
// calculator's gRPC contract. Regenerate them with `make generate`, which
// runs `go generate ./...` with protoc and its plugins on PATH.
package calculatorpb

//go:generate protoc -I .. --go_out=. --go_opt=paths=source_relative --go-grpc_out=. --go-grpc_opt=paths=source_relative ../calculator.proto
