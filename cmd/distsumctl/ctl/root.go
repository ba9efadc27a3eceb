// Package ctl is distsumctl, the command-line client of the Distributed Sum System: Add on the
// calculator, the total and stats of the totals service, and an audit that recomputes the total
// from the Kafka topic and checks it against every totals replica.
//
// Main runs it on arguments and returns the exit status (0 ok, 1 failure or mismatch, 2 usage),
// so tests run the real command in-process.
package ctl

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/distsum/distsum/libs/config"
	"github.com/distsum/distsum/libs/kafka"
	"github.com/distsum/distsum/libs/sumevent"
	"github.com/distsum/distsum/proto/calculatorpb"
	"github.com/distsum/distsum/services/totals/totalsclient"
)

// Exit statuses.
const (
	ExitOK       = 0
	ExitFailure  = 1 // a request failed, or the audit found a mismatch
	ExitUsage    = 2 // bad arguments, flags or environment
	defaultCalc  = "127.0.0.1:9090"
	defaultTotal = "http://127.0.0.1:8080"
	defaultOps   = "http://127.0.0.1:8083" // totals' ops address: /stats
)

// usageError is a mistake in the command line or environment (exit 2).
type usageError struct{ err error }

func (u usageError) Error() string { return u.err.Error() }
func (u usageError) Unwrap() error { return u.err }

func usagef(format string, a ...any) error { return usageError{fmt.Errorf(format, a...)} }

// failed is an outcome already printed (a mismatch): exit 1 without another message.
var errFailed = errors.New("failed")

// globals are the settings every command shares.
type globals struct {
	calculator string
	totals     string
	totalsOps  string
	brokers    string
	topic      string
	json       bool
	timeout    time.Duration
	logLevel   string
	tls        tlsFlags
	envErr     error
	out        io.Writer
	log        *slog.Logger
}

// env returns the value of variable name, or def when it is unset.
func env(name, def string) string {
	if v, ok := os.LookupEnv(name); ok {
		return v
	}
	return def
}

// Main runs distsumctl with args (without the program name) and returns its exit status.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	g := &globals{out: stdout}
	ran := false // whether a command's RunE started: errors before it are usage errors
	root := &cobra.Command{
		Use:   "distsumctl",
		Short: "Command-line client of the Distributed Sum System",
		Long: `distsumctl calls the calculator (Add), reads the totals service (total, stats), and audits
the system: it recomputes the total from the Kafka topic and checks every totals replica.

Every global flag has an environment variable; the defaults are the local addresses of make up.
Exit status: 0 ok, 1 failure or mismatch, 2 usage error.`,
		SilenceErrors: true,
		SilenceUsage:  true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			ran = true
			if g.envErr != nil {
				return usageError{g.envErr}
			}
			var lvl slog.Level
			if err := lvl.UnmarshalText([]byte(g.logLevel)); err != nil {
				return usagef("--log-level %q: want debug, info, warn or error", g.logLevel)
			}
			g.log = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: lvl}))
			if g.timeout <= 0 {
				return usagef("--timeout must be positive")
			}
			return g.tls.load()
		},
	}
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error {
		if strings.Contains(err.Error(), "unknown shorthand flag") {
			return usagef("%v (a negative number goes after --: distsumctl add -- -5 10)", err)
		}
		return usageError{err}
	})
	pf := root.PersistentFlags()
	pf.StringVar(&g.calculator, "calculator", env("CALCULATOR_ADDR", defaultCalc), "calculator gRPC address (env CALCULATOR_ADDR)")
	pf.StringVar(&g.totals, "totals", env("TOTALS_URL", defaultTotal), "totals service URL (env TOTALS_URL)")
	pf.StringVar(&g.totalsOps, "totals-ops", env("TOTALS_OPS_URL", defaultOps), "totals service's ops URL, where /stats is served (env TOTALS_OPS_URL)")
	pf.StringVar(&g.brokers, "kafka-brokers", env("KAFKA_BROKERS", kafka.DefaultBrokers), "comma-separated Kafka brokers (env KAFKA_BROKERS)")
	pf.StringVar(&g.topic, "kafka-topic", env("KAFKA_TOPIC", kafka.DefaultTopic), "topic of the sum events (env KAFKA_TOPIC)")
	pf.BoolVar(&g.json, "json", false, "machine-readable JSON output")
	pf.StringVar(&g.logLevel, "log-level", env("LOG_LEVEL", "warn"), "log level on stderr: debug, info, warn or error (env LOG_LEVEL)")
	timeout := 10 * time.Second
	if v, ok := os.LookupEnv("DISTSUMCTL_TIMEOUT"); ok {
		d, err := time.ParseDuration(v)
		if err != nil {
			g.envErr = fmt.Errorf("environment DISTSUMCTL_TIMEOUT=%q: %v", v, err)
		}
		timeout = d
	}
	pf.DurationVar(&g.timeout, "timeout", timeout, "bound on each request (env DISTSUMCTL_TIMEOUT)")
	pf.BoolVar(&g.tls.on, "tls", env("DISTSUMCTL_TLS", "") == "true", "call the calculator over TLS (implied by the other --tls-* flags; totals: an https URL) (env DISTSUMCTL_TLS)")
	pf.StringVar(&g.tls.caFile, "tls-ca", env("DISTSUMCTL_TLS_CA_FILE", ""), "PEM CA the services' certificates chain to (default: the system's) (env DISTSUMCTL_TLS_CA_FILE)")
	pf.StringVar(&g.tls.certFile, "tls-cert", env("DISTSUMCTL_TLS_CERT_FILE", ""), "PEM client certificate, for services that require one (mTLS) (env DISTSUMCTL_TLS_CERT_FILE)")
	pf.StringVar(&g.tls.keyFile, "tls-key", env("DISTSUMCTL_TLS_KEY_FILE", ""), "PEM key of --tls-cert (env DISTSUMCTL_TLS_KEY_FILE)")

	root.AddCommand(addCmd(g), totalCmd(g), statsCmd(g), auditCmd(g))

	err := root.ExecuteContext(ctx)
	var u usageError
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &u) || !ran:
		fmt.Fprintf(stderr, "distsumctl: %v\nRun 'distsumctl --help' for usage.\n", err)
		return ExitUsage
	case errors.Is(err, errFailed):
		return ExitFailure
	default:
		fmt.Fprintf(stderr, "distsumctl: %v\n", err)
		return ExitFailure
	}
}

// exactArgs is cobra.ExactArgs as a usage error.
func exactArgs(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if err := cobra.ExactArgs(n)(cmd, args); err != nil {
			return usageError{err}
		}
		return nil
	}
}

func (g *globals) printJSON(v any, indent bool) error {
	enc := json.NewEncoder(g.out)
	if indent {
		enc.SetIndent("", "  ")
	}
	return enc.Encode(v)
}

func addCmd(g *globals) *cobra.Command {
	var requestID string
	cmd := &cobra.Command{
		Use:   "add A B",
		Short: "Add two integers on the calculator; prints the sum, the event's token and whether it was a replay",
		Example: `  distsumctl add 5 10
  distsumctl add 5 10 --request-id order-42   # a retry with the same id is counted once
  distsumctl add -- -5 10                     # negative numbers after --`,
		Args: exactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			var nums [2]int64
			for i, a := range args {
				n, err := strconv.ParseInt(a, 10, 64)
				if err != nil {
					return usagef("%q is not a 64-bit integer", a)
				}
				nums[i] = n
			}
			conn, err := grpc.NewClient(g.calculator, g.tls.grpcCredentials())
			if err != nil {
				return usagef("--calculator %q: %v", g.calculator, err)
			}
			defer conn.Close()
			ctx, cancel := context.WithTimeout(cmd.Context(), g.timeout)
			defer cancel()
			resp, err := calculatorpb.NewCalculatorServiceClient(conn).Add(ctx, &calculatorpb.AddRequest{Num1: nums[0], Num2: nums[1], RequestId: requestID})
			if err != nil {
				msg := fmt.Sprintf("add on %s: %s: %s", g.calculator, status.Code(err), status.Convert(err).Message())
				switch status.Code(err) {
				case codes.Unavailable, codes.DeadlineExceeded:
					if requestID != "" {
						msg += " (the sum may or may not be recorded: retry with the same --request-id)"
					} else {
						msg += " (the sum may or may not be recorded; pass --request-id to retry safely)"
					}
				}
				return errors.New(msg)
			}
			if g.json {
				return g.printJSON(map[string]any{
					"sum": resp.GetSum(), "token": resp.GetToken(), "producer_id": resp.GetProducerId(),
					"sequence": resp.GetSequence(), "replayed": resp.GetReplayed(),
				}, false)
			}
			fmt.Fprintf(g.out, "sum       %d\ntoken     %s\nreplayed  %t\n", resp.GetSum(), resp.GetToken(), resp.GetReplayed())
			return nil
		},
	}
	cmd.Flags().StringVar(&requestID, "request-id", "", "idempotency key (up to 128 printable ASCII bytes): a retry with the same id is answered once and counted once")
	return cmd
}

func totalCmd(g *globals) *cobra.Command {
	var after string
	var wait time.Duration
	cmd := &cobra.Command{
		Use:   "total",
		Short: "Print the running total; with --after TOKEN, once the Add that returned TOKEN is counted",
		Example: `  distsumctl total
  distsumctl total --after calc-8d2a57ac86a5:7 --wait 5s`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			c := totalsclient.New(g.totals, g.tls.httpClient())
			if after == "" {
				if cmd.Flags().Changed("wait") {
					return usagef("--wait needs --after TOKEN")
				}
				ctx, cancel := context.WithTimeout(cmd.Context(), g.timeout)
				defer cancel()
				n, err := c.Total(ctx)
				if err != nil {
					return fmt.Errorf("total from %s: %w", g.totals, err)
				}
				if g.json {
					return g.printJSON(map[string]any{"total": n}, false)
				}
				fmt.Fprintln(g.out, n)
				return nil
			}
			if _, err := sumevent.ParseToken(after); err != nil {
				return usagef("--after: %v", err)
			}
			if wait <= 0 {
				return usagef("--wait must be positive")
			}
			// AwaitCounted repeats the service's bounded waits, so any --wait works and a
			// restarting service is waited for.
			ctx, cancel := context.WithTimeout(cmd.Context(), wait)
			defer cancel()
			n, err := c.AwaitCounted(ctx, after)
			if err != nil {
				if ctx.Err() != nil {
					return fmt.Errorf("%s is not counted by %s within %s (%v)", after, g.totals, wait, err)
				}
				return fmt.Errorf("total after %s from %s: %w", after, g.totals, err)
			}
			if g.json {
				return g.printJSON(map[string]any{"total": n, "after": after}, false)
			}
			fmt.Fprintln(g.out, n)
			return nil
		},
	}
	cmd.Flags().StringVar(&after, "after", "", "token an Add returned: wait until that Add is counted")
	cmd.Flags().DurationVar(&wait, "wait", 2*time.Second, "how long to wait with --after")
	return cmd
}

func statsCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "stats",
		Short: "Print the totals service's /stats: total, counters, per-producer high-water marks, offsets",
		Args:  exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, cancel := context.WithTimeout(cmd.Context(), g.timeout)
			defer cancel()
			s, err := totalsclient.New(g.totals, g.tls.httpClient()).WithOps(g.totalsOps).Stats(ctx)
			if err != nil {
				return fmt.Errorf("stats from %s: %w", g.totalsOps, err)
			}
			return g.printJSON(s, !g.json)
		},
	}
}

// brokerList splits the --kafka-brokers setting.
func (g *globals) brokerList() ([]string, error) {
	b := config.SplitList(g.brokers)
	if len(b) == 0 {
		return nil, usagef("--kafka-brokers is empty")
	}
	if g.topic == "" {
		return nil, usagef("--kafka-topic is empty")
	}
	return b, nil
}
