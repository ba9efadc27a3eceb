// Package totalsclient is the typed client of the totals service's REST API:
//
//	GET /total                        Total
//	GET /total?after=TOKEN&timeout=D  WaitCounted (one wait), AwaitCounted (until counted)
//	GET /stats (ops address)          Stats
//
// Errors of the service are returned as *StatusError carrying the HTTP status and the
// {"error": ...} message; "not counted yet" (503 on a wait) is ErrNotCounted.
package totalsclient

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/cenkalti/backoff/v4"
)

// ErrNotCounted is returned by WaitCounted when the event was not counted within the wait.
var ErrNotCounted = errors.New("not counted yet")

// StatusError is an answer of the service other than 200.
type StatusError struct {
	Status  int    // HTTP status code
	Message string // the "error" field of the JSON body, else the start of the body
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("totals: HTTP %d: %s", e.Status, e.Message)
}

// Is makes a 503 answer to a wait match ErrNotCounted.
func (e *StatusError) Is(target error) bool {
	return target == ErrNotCounted && e.Status == http.StatusServiceUnavailable
}

// Client talks to one totals service.
type Client struct {
	base string
	ops  string // the ops address, for Stats
	hc   *http.Client
}

// DefaultTimeout bounds each request of a Client made with a nil *http.Client, on top of the
// longest wait the service allows (30 s).
const DefaultTimeout = 40 * time.Second

// New returns a client of the service at baseURL (e.g. "http://127.0.0.1:8080"). hc nil uses an
// http.Client with DefaultTimeout.
func New(baseURL string, hc *http.Client) *Client {
	if hc == nil {
		hc = &http.Client{Timeout: DefaultTimeout}
	}
	return &Client{base: strings.TrimRight(baseURL, "/"), hc: hc}
}

// WithOps returns a copy of the client that reads Stats from the service's ops address opsURL
// (e.g. "http://127.0.0.1:8083", TOTALS_OPS_ADDR): /stats is not served on the public one.
func (c *Client) WithOps(opsURL string) *Client {
	cc := *c
	cc.ops = strings.TrimRight(opsURL, "/")
	return &cc
}

// BaseURL is the service address the client was made with (without a trailing slash).
func (c *Client) BaseURL() string { return c.base }

// Total reads GET /total.
func (c *Client) Total(ctx context.Context) (*big.Int, error) {
	body, err := c.get(ctx, "/total")
	if err != nil {
		return nil, err
	}
	return ParseTotal(body)
}

// WaitCounted asks the service to wait up to timeout (at most 30 s, its limit) until the Add
// that returned token is counted, and returns the total then. An event not counted in time is
// an error matching ErrNotCounted (errors.Is).
func (c *Client) WaitCounted(ctx context.Context, token string, timeout time.Duration) (*big.Int, error) {
	q := url.Values{"after": {token}, "timeout": {timeout.String()}}
	body, err := c.get(ctx, "/total?"+q.Encode())
	if err != nil {
		return nil, err
	}
	return ParseTotal(body)
}

// AwaitCounted repeats WaitCounted (2 s waits) until the Add that returned token is counted,
// and returns the total then. Not counted yet, a failed connection and a 5xx answer (the
// service restarting) are retried; any other answer (a bad token: 400) ends the wait. It
// returns when ctx ends, with the last error.
func (c *Client) AwaitCounted(ctx context.Context, token string) (*big.Int, error) {
	var n *big.Int
	op := func() error {
		var err error
		n, err = c.WaitCounted(ctx, token, 2*time.Second)
		var se *StatusError
		if errors.As(err, &se) && se.Status < 500 {
			return backoff.Permanent(err)
		}
		return err
	}
	// The service itself waits between answers; the pause only spaces out retries of a service
	// that is down.
	b := backoff.WithContext(backoff.NewConstantBackOff(100*time.Millisecond), ctx)
	var last error
	err := backoff.RetryNotify(op, b, func(err error, _ time.Duration) { last = err })
	if err != nil {
		if ctx.Err() != nil && last != nil {
			return nil, fmt.Errorf("%w (last answer: %v)", ctx.Err(), last)
		}
		return nil, err
	}
	return n, nil
}

// Stats is GET /stats.
type Stats struct {
	Total      *big.Int          `json:"total"`
	Applied    uint64            `json:"applied"`
	Duplicates uint64            `json:"duplicates_skipped"`
	Malformed  uint64            `json:"malformed"`
	Gaps       uint64            `json:"sequence_gaps"`
	Held       int               `json:"held"`
	Producers  map[string]uint64 `json:"producers"` // producer id -> highest applied sequence
	Offsets    map[string]int64  `json:"offsets"`   // partition -> next offset to consume
}

// Stats reads GET /stats on the ops address (WithOps).
func (c *Client) Stats(ctx context.Context) (Stats, error) {
	var s Stats
	if c.ops == "" {
		return s, errors.New("totals: /stats is served on the ops address, and the client has none (WithOps)")
	}
	body, err := c.getFrom(ctx, c.ops, "/stats")
	if err != nil {
		return s, err
	}
	if err := json.Unmarshal(body, &s); err != nil {
		return s, fmt.Errorf("totals: /stats: %w", err)
	}
	return s, nil
}

func (c *Client) get(ctx context.Context, path string) ([]byte, error) {
	return c.getFrom(ctx, c.base, path)
}

func (c *Client) getFrom(ctx context.Context, base, path string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+path, nil)
	if err != nil {
		return nil, err
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, statusError(resp.StatusCode, body)
	}
	return body, nil
}

func statusError(code int, body []byte) *StatusError {
	var e struct {
		Error string `json:"error"`
	}
	msg := strings.TrimSpace(string(body))
	if json.Unmarshal(body, &e) == nil && e.Error != "" {
		msg = e.Error
	} else if len(msg) > 200 {
		msg = msg[:200]
	}
	return &StatusError{Status: code, Message: msg}
}

// ParseTotal reads a total: a JSON integer (what the service answers), or a JSON string of
// decimal digits or an object {"total": ...} (as a proxy or another implementation may answer).
func ParseTotal(body []byte) (*big.Int, error) {
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("total %.100q: %w", body, err)
	}
	var s string
	switch x := v.(type) {
	case json.Number:
		s = x.String()
	case string:
		s = x
	case map[string]any:
		for _, k := range []string{"total", "value"} {
			if f, ok := x[k]; ok {
				b, _ := json.Marshal(f)
				return ParseTotal(b)
			}
		}
		return nil, fmt.Errorf("total %.100q: no total field", body)
	default:
		return nil, fmt.Errorf("total %.100q: not a number", body)
	}
	n, ok := new(big.Int).SetString(s, 10)
	if !ok {
		return nil, fmt.Errorf("total %q: not an integer", s)
	}
	return n, nil
}
