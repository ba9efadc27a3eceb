package service

import (
	"errors"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/prometheus/client_golang/prometheus"
)

// DefaultMaxConns is the connection bound when none is set: min(4096, half
// the process's file-descriptor limit), so accepted connections alone can
// never take the descriptors the state file, the outbox or Kafka need.
func DefaultMaxConns() int {
	var r syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &r); err != nil || r.Cur == 0 {
		return 4096
	}
	return int(min(4096, r.Cur/2))
}

// ConnLimit counts open connections and refuses those beyond its maximum.
// A refused connection is closed at once and counted, rather than left in
// the kernel's accept queue (as netutil.LimitListener does): the client
// learns immediately that the server is full and can go elsewhere or back
// off, and the refusal shows in a metric instead of as silent latency.
type ConnLimit struct {
	max     int64
	open    atomic.Int64
	refused prometheus.Counter
}

// NewConnLimit bounds connections to max (DefaultMaxConns when 0); refusals
// are counted in <prefix>_connections_refused_total and the open ones in
// <prefix>_connections_open.
func NewConnLimit(max int, reg prometheus.Registerer, prefix string) *ConnLimit {
	return newConnLimit(max, reg, prefix, nil)
}

// newConnLimit is NewConnLimit with labels on its metrics (one limit per
// listener of a service).
func newConnLimit(max int, reg prometheus.Registerer, prefix string, labels prometheus.Labels) *ConnLimit {
	if max <= 0 {
		max = DefaultMaxConns()
	}
	l := &ConnLimit{max: int64(max), refused: prometheus.NewCounter(prometheus.CounterOpts{
		Name: prefix + "_connections_refused_total", ConstLabels: labels,
		Help: "Connections closed on arrival because the server had its maximum open.",
	})}
	open := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: prefix + "_connections_open", Help: "Connections open on the server.", ConstLabels: labels,
	}, func() float64 { return float64(l.open.Load()) })
	reg.MustRegister(l.refused, open)
	return l
}

// Max is the bound.
func (l *ConnLimit) Max() int { return int(l.max) }

// admit takes a slot; false (counted) when none is free.
func (l *ConnLimit) admit() bool {
	if l.open.Add(1) > l.max {
		l.open.Add(-1)
		l.refused.Inc()
		return false
	}
	return true
}

func (l *ConnLimit) release() { l.open.Add(-1) }

// Listener wraps ln: a connection beyond the bound is closed on arrival.
func (l *ConnLimit) Listener(ln net.Listener) net.Listener {
	return &limitListener{Listener: ln, limit: l}
}

type limitListener struct {
	net.Listener
	limit *ConnLimit
}

func (ll *limitListener) Accept() (net.Conn, error) {
	for {
		c, err := ll.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if ll.limit.admit() {
			return &limitConn{Conn: c, release: ll.limit.release}, nil
		}
		c.Close()
	}
}

type limitConn struct {
	net.Conn
	once    sync.Once
	release func()
}

// CloseWrite shuts the write side when the connection can (TCP): TLS uses
// it to close a failed handshake gracefully.
func (c *limitConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return errors.ErrUnsupported
}

func (c *limitConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}

// connState enforces the bound through an HTTP server's connection states,
// so the server itself owns it whatever listener it is given.
func (l *ConnLimit) connState(c net.Conn, s http.ConnState) {
	switch s {
	case http.StateNew:
		if !l.admit() {
			// Counted as open until net/http reports it closed.
			l.open.Add(1)
			c.Close()
		}
	case http.StateHijacked, http.StateClosed:
		l.release()
	}
}
