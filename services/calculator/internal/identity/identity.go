// Package identity keeps a producer id's sequences from being used twice with
// the SQLite outbox, whose state lives on one disk: a calculator that lost its
// outbox and starts again under its configured CALCULATOR_PRODUCER_ID must
// continue after the highest sequence the log holds for that id (numbering
// from 1 again, every new event would be skipped downstream as a duplicate),
// and a second live calculator under the same id must not start at all.
//
// Two things, read from Kafka before the calculator takes Adds:
//   - the highest sequence the topic holds for the id (its records are keyed
//     by the id, so they are all in one partition, read backwards from the end);
//   - a lease: each calculator is the one member of a consumer group named
//     after its id while it runs. A group that already has a member means a
//     live calculator holds the id; the newcomer is refused. A killed holder's
//     membership expires after the session timeout (10 s), so a restart after
//     kill -9 waits that long at most.
package identity

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/IBM/sarama"

	"github.com/distsum/distsum/libs/kafka"
	"github.com/distsum/distsum/libs/retry"
	"github.com/distsum/distsum/libs/sumevent"
)

// ErrConflict: another calculator publishes (or published) under this producer id.
var ErrConflict = errors.New("producer id in use")

// Outbox is what the check reads and sets in the outbox.
type Outbox interface {
	LastSequence(ctx context.Context) (uint64, error)
	ContinueAfter(ctx context.Context, n uint64) error
}

// Options of Check.
type Options struct {
	Brokers    []string
	Topic      string
	ProducerID string
	// Instance names the outbox (outbox.Store.Instance): a group member of
	// the same outbox is this outbox's own earlier process, killed before its
	// session expired, not another holder.
	Instance string
	// Configured: the id came from CALCULATOR_PRODUCER_ID rather than being
	// generated with this outbox.
	Configured bool
	// Lookback is how many of the id's newest records are read for the
	// highest sequence (a failed batch re-published lands after later events
	// of the same id): the relay's batch size.
	Lookback int
	// Wait bounds the check of an outbox that has its own history, so that an
	// intact calculator starts while Kafka is down (default 10 s).
	Wait time.Duration
	// HolderWait is how long a group that still has a member is watched for
	// it to leave before the start is refused (default 15 s: a killed
	// holder's session times out in 10 s).
	HolderWait time.Duration
	// EnsureTopic creates or checks the topic (kafka.Settings.EnsureTopic):
	// the group subscribes to it and the log is read from it, and on a new
	// cluster it does not exist before the first calculator makes it. It
	// retries while Kafka is away; an error before ctx ends is final.
	EnsureTopic func(ctx context.Context) error
	Log         *slog.Logger
}

// Check runs the start-time checks and returns the lease this process holds
// on the id until Release (nil when the id needs none). When to wait for Kafka:
//   - fresh outbox (no event ever) and a generated id: nothing to check, the
//     id is new by construction; no lease either (no one else can have it);
//   - fresh outbox and a configured id: this is the lost-outbox case, and the
//     check is the only thing between it and reused sequences, so the start
//     waits for Kafka as long as it takes;
//   - an outbox with events: its sequences are its own; the check (an old
//     copy of the outbox, a second instance with history under the same id)
//     is tried for Options.Wait, then the calculator starts with a warning
//     and takes the lease in the background, so an operator is never stuck
//     with an intact outbox while Kafka is down.
func Check(ctx context.Context, o Outbox, opts Options) (*Lease, error) {
	if opts.Wait <= 0 {
		opts.Wait = 10 * time.Second
	}
	if opts.HolderWait <= 0 {
		opts.HolderWait = 15 * time.Second
	}
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	id := opts.ProducerID
	last, err := o.LastSequence(ctx)
	if err != nil {
		return nil, err
	}
	fresh := last == 0
	if fresh && !opts.Configured {
		opts.Log.Info("new producer id: no earlier events to continue after", "producer_id", id)
		return nil, nil
	}
	cctx := ctx
	if !fresh {
		var cancel context.CancelFunc
		cctx, cancel = context.WithTimeout(ctx, opts.Wait)
		defer cancel()
	}
	var lease *Lease
	topicReady := opts.EnsureTopic == nil
	n, err := retry.Until(cctx, retry.Policy(250*time.Millisecond, 5*time.Second), func() (uint64, error) {
		if !topicReady {
			if err := opts.EnsureTopic(cctx); err != nil {
				if cctx.Err() == nil {
					return 0, retry.Permanent(err)
				}
				return 0, err
			}
			topicReady = true
		}
		if lease == nil {
			l, err := claim(ctx, cctx, opts)
			if err != nil {
				if errors.Is(err, ErrConflict) {
					return 0, retry.Permanent(err)
				}
				return 0, err
			}
			lease = l
		}
		n, _, err := kafka.LastOfKey(cctx, opts.Brokers, opts.Topic, id, opts.Lookback, func(m *sarama.ConsumerMessage) (uint64, error) {
			e, err := sumevent.Decode(m.Value)
			if err != nil || e.ProducerID != id {
				return 0, nil // malformed: parked by totals, never counted; no sequence to continue after
			}
			return e.Sequence, nil
		})
		return n, err
	}, func(err error, next time.Duration) {
		opts.Log.Warn("checking the producer id against Kafka; retrying", "producer_id", id, "err", err, "retry_in", next)
	})
	switch {
	case errors.Is(err, ErrConflict), err != nil && cctx.Err() == nil:
		// A refusal, or an error retrying cannot fix (a refused topic).
		lease.Release()
		return nil, err
	case err != nil && ctx.Err() != nil:
		lease.Release()
		return nil, ctx.Err()
	case err != nil && !fresh:
		opts.Log.Warn("Kafka did not answer: starting on the outbox's own sequences without checking the log; the producer id's lease is taken when Kafka is back",
			"producer_id", id, "outbox_last_sequence", last, "err", err)
		if lease == nil {
			lease = background(opts)
		}
		return lease, nil
	case err != nil:
		lease.Release()
		return nil, err
	}
	switch {
	case n <= last:
		opts.Log.Info("producer id checked against the log", "producer_id", id, "log_last_sequence", n, "outbox_last_sequence", last)
	case fresh:
		if err := o.ContinueAfter(ctx, n); err != nil {
			lease.Release()
			return nil, err
		}
		opts.Log.Warn("new outbox for a producer id the log already holds events of: continuing after the log's last sequence",
			"producer_id", id, "log_last_sequence", n)
	default:
		lease.Release()
		return nil, fmt.Errorf("%w: producer id %s: the log holds sequence %d but this outbox's last is %d: another calculator publishes under this id, or this outbox is an old copy; give each calculator its own CALCULATOR_PRODUCER_ID",
			ErrConflict, id, n, last)
	}
	return lease, nil
}

// Lease is this process's membership of the id's group.
type Lease struct {
	mu     sync.Mutex
	cg     sarama.ConsumerGroup
	cancel context.CancelFunc
	done   chan struct{}
	leave  func() // leaves the group for good (a static member does not on Close)
}

// Release leaves the group, so that a successor can start at once.
func (l *Lease) Release() {
	if l == nil {
		return
	}
	l.cancel()
	<-l.done
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.cg != nil {
		_ = l.cg.Close()
		l.cg = nil
		if l.leave != nil {
			l.leave()
		}
	}
}

// GroupName is the consumer group whose member holds producer id id.
func GroupName(id string) string { return "calculator-producer-" + id }

// claim refuses the id if its group has a live member of another outbox,
// joins it, and refuses again if someone joined at the same time. Waiting for
// a holder to leave is bounded by HolderWait under ctx, not by the Kafka
// wait of kctx: a holder is a refusal, never "Kafka did not answer".
func claim(ctx, kctx context.Context, opts Options) (*Lease, error) {
	group := GroupName(opts.ProducerID)
	deadline := time.Now().Add(opts.HolderWait)
	for {
		members, err := groupMembers(opts.Brokers, group, clientID(opts))
		if err != nil {
			return nil, err
		}
		if members == 0 {
			break
		}
		if time.Now().After(deadline) {
			return nil, holderError(opts.ProducerID, group, members)
		}
		opts.Log.Warn("another calculator holds this producer id; waiting for it to leave", "producer_id", opts.ProducerID, "group", group, "members", members)
		if !retry.Sleep(ctx, time.Second) {
			return nil, ctx.Err()
		}
	}
	l, err := join(kctx, opts)
	if err != nil {
		return nil, err
	}
	members, err := groupMembers(opts.Brokers, group, clientID(opts))
	if err != nil {
		l.Release()
		return nil, err
	}
	if members > 0 {
		l.Release()
		return nil, holderError(opts.ProducerID, group, members)
	}
	return l, nil
}

func holderError(id, group string, n int) error {
	return fmt.Errorf("%w: producer id %s is held by %d live calculator(s) (members of Kafka group %s): give each calculator its own CALCULATOR_PRODUCER_ID",
		ErrConflict, id, n, group)
}

// clientID names this process in the group: the id and the outbox.
func clientID(opts Options) string { return "calculator-" + opts.ProducerID + "." + opts.Instance }

// groupMembers counts the group's members other than self's (this outbox's).
func groupMembers(brokers []string, group, self string) (int, error) {
	admin, err := sarama.NewClusterAdmin(brokers, kafka.ConsumerConfig("distsum-identity"))
	if err != nil {
		return 0, err
	}
	defer admin.Close()
	ds, err := admin.DescribeConsumerGroups([]string{group})
	if err != nil {
		return 0, err
	}
	for _, d := range ds {
		if d.GroupId == group {
			if !errors.Is(d.Err, sarama.ErrNoError) {
				return 0, d.Err
			}
			n := 0
			for _, m := range d.Members {
				if m.ClientId != self {
					n++
				}
			}
			return n, nil
		}
	}
	return 0, nil
}

// join becomes a member of the id's group and stays one until Release. The
// member subscribes to the sum topic (a group needs a subscription) but reads
// nothing: it starts at the newest offset and never takes a message.
func join(ctx context.Context, opts Options) (*Lease, error) {
	cfg := kafka.ConsumerConfig(clientID(opts))
	cfg.Consumer.Offsets.Initial = sarama.OffsetNewest
	cfg.ChannelBufferSize = 1
	// Static membership: the same outbox's process, restarted after kill -9,
	// takes its old member's place at once instead of waiting for the
	// coordinator to give up on it (the session timeout).
	cfg.Consumer.Group.InstanceId = clientID(opts)
	cg, err := sarama.NewConsumerGroup(opts.Brokers, GroupName(opts.ProducerID), cfg)
	if err != nil {
		return nil, err
	}
	lctx, cancel := context.WithCancel(context.Background())
	l := &Lease{cg: cg, cancel: cancel, done: make(chan struct{})}
	h := &member{joined: make(chan struct{})}
	l.leave = func() { leaveStatic(opts, h.memberID()) }
	go func() {
		defer close(l.done)
		for lctx.Err() == nil {
			if err := cg.Consume(lctx, []string{opts.Topic}, h); err != nil && lctx.Err() == nil {
				opts.Log.Warn("producer id lease: group session ended", "producer_id", opts.ProducerID, "err", err)
				retry.Sleep(lctx, time.Second)
			}
		}
	}()
	select {
	case <-h.joined:
		return l, nil
	case <-ctx.Done():
		l.Release()
		return nil, ctx.Err()
	}
}

// background takes the lease once Kafka answers, for a calculator that
// started without it; it is released with the returned lease.
func background(opts Options) *Lease {
	bctx, cancel := context.WithCancel(context.Background())
	outer := &Lease{cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(outer.done)
		for bctx.Err() == nil {
			l, err := join(bctx, opts)
			if err == nil {
				<-bctx.Done()
				l.Release()
				return
			}
			retry.Sleep(bctx, 5*time.Second)
		}
	}()
	return outer
}

type member struct {
	once   sync.Once
	joined chan struct{}
	mu     sync.Mutex
	id     string
}

func (m *member) Setup(s sarama.ConsumerGroupSession) error {
	m.mu.Lock()
	m.id = s.MemberID()
	m.mu.Unlock()
	m.once.Do(func() { close(m.joined) })
	return nil
}

func (m *member) memberID() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.id
}

// leaveStatic removes this static member from the group on a graceful stop,
// so that a successor (a new outbox under the id) need not wait for the
// session to expire. Best effort: a failure only costs that wait.
func leaveStatic(opts Options, memberID string) {
	if memberID == "" {
		return
	}
	client, err := sarama.NewClient(opts.Brokers, kafka.ConsumerConfig(clientID(opts)))
	if err != nil {
		return
	}
	defer client.Close()
	group := GroupName(opts.ProducerID)
	b, err := client.Coordinator(group)
	if err != nil {
		return
	}
	instance := clientID(opts)
	resp, err := b.LeaveGroup(&sarama.LeaveGroupRequest{Version: 3, GroupId: group,
		Members: []sarama.MemberIdentity{{MemberId: memberID, GroupInstanceId: &instance}}})
	if err == nil && !errors.Is(resp.Err, sarama.ErrNoError) {
		err = resp.Err
	}
	if err == nil {
		for _, m := range resp.Members {
			if !errors.Is(m.Err, sarama.ErrNoError) {
				err = m.Err
			}
		}
	}
	if err != nil {
		opts.Log.Warn("leaving the producer id's group failed; a successor waits for the session to expire", "producer_id", opts.ProducerID, "err", err)
	}
}

func (m *member) Cleanup(sarama.ConsumerGroupSession) error { return nil }

func (m *member) ConsumeClaim(s sarama.ConsumerGroupSession, _ sarama.ConsumerGroupClaim) error {
	<-s.Context().Done()
	return nil
}
