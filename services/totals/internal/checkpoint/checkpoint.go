// Package checkpoint shares the totals replicas' states through a compacted
// Kafka topic, so that a replica without state can start from one when
// retention has deleted the records the total was built from.
//
// Every interval a replica publishes its last SAVED state file body (total,
// high-water marks, held events, offsets, topic id), keyed by its replica id,
// with acks=all, when it changed since its last checkpoint. Compaction keeps
// the last checkpoint of every replica. A replica that starts without a state
// file reads the topic to its end and restores the checkpoint that covers the
// most of the current topic (Best); the operator's explicit restore takes the
// newest one (Newest).
package checkpoint

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/IBM/sarama"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"

	"github.com/distsum/distsum/libs/kafka"
	"github.com/distsum/distsum/services/totals/internal/ledger"
	"github.com/distsum/distsum/services/totals/internal/state"
)

// Checkpoint is one replica's last published state.
type Checkpoint struct {
	Replica string
	Snap    ledger.Snapshot
}

// covered is the sum of the checkpoint's offsets: how much of the topic it
// has read.
func (c Checkpoint) covered() int64 {
	var n int64
	for _, o := range c.Snap.Offsets {
		n += o
	}
	return n
}

// Best returns the checkpoint of topic (and of topicID, when known) that
// covers the most: the largest sum of offsets, the newest on a tie.
func Best(cps []Checkpoint, topic, topicID string) (Checkpoint, bool) {
	var best Checkpoint
	found := false
	for _, c := range cps {
		if c.Snap.Topic != topic || (topicID != "" && c.Snap.TopicID != topicID) {
			continue
		}
		if !found || c.covered() > best.covered() || (c.covered() == best.covered() && c.Snap.SavedAt.After(best.Snap.SavedAt)) {
			best, found = c, true
		}
	}
	return best, found
}

// Newest returns the most recently saved checkpoint of topic.
func Newest(cps []Checkpoint, topic string) (Checkpoint, bool) {
	var best Checkpoint
	found := false
	for _, c := range cps {
		if c.Snap.Topic == topic && (!found || c.Snap.SavedAt.After(best.Snap.SavedAt)) {
			best, found = c, true
		}
	}
	return best, found
}

// Read returns the last checkpoint of every replica in topic, read from the
// oldest record to the end offsets at the time of the call. A record that is
// not a state body is skipped with a warning.
func Read(ctx context.Context, brokers []string, topic string, log *slog.Logger) ([]Checkpoint, error) {
	client, err := sarama.NewClient(brokers, kafka.ConsumerConfig("totals-checkpoint-reader"))
	if err != nil {
		return nil, err
	}
	defer client.Close()
	partitions, err := client.Partitions(topic)
	if err != nil {
		return nil, err
	}
	consumer, err := sarama.NewConsumerFromClient(client)
	if err != nil {
		return nil, err
	}
	defer consumer.Close()
	last := map[string][]byte{}
	for _, p := range partitions {
		oldest, err := client.GetOffset(topic, p, sarama.OffsetOldest)
		if err != nil {
			return nil, err
		}
		end, err := client.GetOffset(topic, p, sarama.OffsetNewest)
		if err != nil {
			return nil, err
		}
		if end <= oldest {
			continue
		}
		pc, err := consumer.ConsumePartition(topic, p, oldest)
		if err != nil {
			return nil, err
		}
		err = func() error {
			defer pc.Close()
			for {
				select {
				case <-ctx.Done():
					return ctx.Err()
				case err := <-pc.Errors():
					return err
				case msg := <-pc.Messages():
					if msg.Value == nil {
						delete(last, string(msg.Key)) // a tombstone
					} else {
						last[string(msg.Key)] = msg.Value
					}
					if msg.Offset >= end-1 {
						return nil
					}
				}
			}
		}()
		if err != nil {
			return nil, fmt.Errorf("reading checkpoints of %s/%d: %w", topic, p, err)
		}
	}
	var out []Checkpoint
	for replica, body := range last {
		snap, err := state.Decode(body)
		if err != nil {
			log.Warn("skipping a checkpoint that is not a state", "replica", replica, "err", err)
			continue
		}
		out = append(out, Checkpoint{Replica: replica, Snap: snap})
	}
	return out, nil
}

// Publisher publishes one replica's saved state as checkpoints.
type Publisher struct {
	brokers []string
	topic   string
	replica string
	source  func() []byte // the last saved state body
	log     *slog.Logger

	published prometheus.Counter
	mu        sync.Mutex
	producer  sarama.SyncProducer
	last      []byte    // body of the last checkpoint published
	current   time.Time // when the checkpoint was last known to match the saved state
}

// NewPublisher publishes source's bodies to topic under key replica. Its
// metrics are registered on reg.
func NewPublisher(brokers []string, topic, replica string, source func() []byte, reg prometheus.Registerer, log *slog.Logger) *Publisher {
	p := &Publisher{brokers: brokers, topic: topic, replica: replica, source: source, log: log}
	f := promauto.With(reg)
	p.published = f.NewCounter(prometheus.CounterOpts{Name: "totals_checkpoints_published_total", Help: "State checkpoints published to the checkpoint topic."})
	f.NewGaugeFunc(prometheus.GaugeOpts{Name: "totals_checkpoint_age_seconds",
		Help: "Seconds since this replica's checkpoint last matched its saved state (grows while publishing fails; 0 before the first)."},
		func() float64 {
			p.mu.Lock()
			defer p.mu.Unlock()
			if p.current.IsZero() {
				return 0
			}
			return time.Since(p.current).Seconds()
		})
	return p
}

// Publish publishes the saved state if it changed since the last checkpoint.
func (p *Publisher) Publish() error {
	body := p.source()
	p.mu.Lock()
	defer p.mu.Unlock()
	if body == nil {
		return nil // nothing saved yet
	}
	if bytes.Equal(body, p.last) {
		p.current = time.Now()
		return nil
	}
	if p.producer == nil {
		producer, err := sarama.NewSyncProducer(p.brokers, kafka.ProducerConfig("totals-checkpoint-"+p.replica))
		if err != nil {
			return err
		}
		p.producer = producer
	}
	if _, _, err := p.producer.SendMessage(&sarama.ProducerMessage{Topic: p.topic, Key: sarama.StringEncoder(p.replica), Value: sarama.ByteEncoder(body)}); err != nil {
		// A producer that failed may be stuck on a sequence: start afresh.
		_ = p.producer.Close()
		p.producer = nil
		return err
	}
	p.last, p.current = body, time.Now()
	p.published.Inc()
	return nil
}

// Run publishes every interval until ctx ends, and once more then (the final
// save has happened by the time the consumer returned).
func (p *Publisher) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			p.close()
			return
		case <-t.C:
			if err := p.Publish(); err != nil {
				p.log.Warn("cannot publish a checkpoint; retrying at the next interval", "topic", p.topic, "err", err)
			}
		}
	}
}

func (p *Publisher) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.producer != nil {
		_ = p.producer.Close()
		p.producer = nil
	}
}

// ErrNone is returned by Restore when an explicit restore finds no checkpoint.
var ErrNone = errors.New("no checkpoint of this topic to restore")

// Restore fills st (a store without a state file) from the checkpoints in
// cpTopic. Without explicit it takes the checkpoint that covers the most of
// the sum topic as it is now (same topic id), and finding none leaves the
// state empty; with explicit (the operator's restore) it takes the newest,
// and finding none is ErrNone. It reports the checkpoint restored.
func Restore(ctx context.Context, brokers []string, cpTopic, topic string, st *state.Store, explicit bool, log *slog.Logger) (Checkpoint, bool, error) {
	topicID, err := currentTopicID(brokers, topic)
	if err != nil {
		return Checkpoint{}, false, fmt.Errorf("reading the id of topic %q: %w", topic, err)
	}
	cps, err := Read(ctx, brokers, cpTopic, log)
	if err != nil {
		return Checkpoint{}, false, err
	}
	var cp Checkpoint
	var found bool
	if explicit {
		cp, found = Newest(cps, topic)
		if !found {
			return Checkpoint{}, false, fmt.Errorf("%w %q in %q", ErrNone, topic, cpTopic)
		}
	} else if cp, found = Best(cps, topic, topicID); !found {
		log.Info("no checkpoint of this topic: starting from an empty state", "checkpoint_topic", cpTopic, "checkpoints", len(cps), "topic_id", topicID)
		return Checkpoint{}, false, nil
	}
	if err := st.Adopt(cp.Snap); err != nil {
		return Checkpoint{}, false, err
	}
	log.Warn("state restored from a checkpoint", "from_replica", cp.Replica, "total", cp.Snap.Total, "offsets", cp.Snap.Offsets,
		"topic_id", cp.Snap.TopicID, "saved_at", cp.Snap.SavedAt, "explicit", explicit)
	return cp, true, nil
}

func currentTopicID(brokers []string, topic string) (string, error) {
	client, err := sarama.NewClient(brokers, kafka.ConsumerConfig("totals-checkpoint-reader"))
	if err != nil {
		return "", err
	}
	defer client.Close()
	return kafka.TopicID(client, topic)
}
