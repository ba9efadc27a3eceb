// Command httpprobe is the health check of images without a shell or curl (the Prometheus and
// Alertmanager images that scripts/build-images.sh builds): it GETs a URL and exits 0 on a 2xx
// answer within 2 s, 1 otherwise — the same probe the service binaries run as `app probe URL`.
//
//	httpprobe http://localhost:9090/-/ready
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/distsum/distsum/libs/service"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: httpprobe URL   (exit 0 on a 2xx answer within 2s)")
		os.Exit(2)
	}
	if err := service.Probe(context.Background(), os.Args[1]); err != nil {
		fmt.Fprintf(os.Stderr, "httpprobe: %v\n", err)
		os.Exit(1)
	}
}
