package ctl

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"math/big"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/distsum/distsum/libs/config"
	"github.com/distsum/distsum/libs/sumevent"
	"github.com/distsum/distsum/services/totals/totalsclient"
)

// PartitionRead is what the audit read of one partition.
type PartitionRead struct {
	Partition int32 `json:"partition"`
	From      int64 `json:"from"`
	End       int64 `json:"end"` // the end offset taken at the start of the audit
	Next      int64 `json:"next"`
	Truncated bool  `json:"truncated,omitempty"` // retention deleted its start
	// StoppedEarly: no record came before End (the rest are transaction markers or aborted).
	StoppedEarly bool `json:"stopped_early,omitempty"`
}

// ReplicaReport is the verdict on one totals replica.
type ReplicaReport struct {
	URL        string           `json:"url"`
	OK         bool             `json:"ok"`
	Total      *big.Int         `json:"total,omitempty"`
	Expected   *big.Int         `json:"expected,omitempty"` // recomputed over the records the replica covers
	Offsets    map[string]int64 `json:"offsets,omitempty"`
	Mismatches []string         `json:"mismatches,omitempty"`
	Notes      []string         `json:"notes,omitempty"`
	Error      string           `json:"error,omitempty"`
}

// Checkpoint lets a later audit start where this one ended.
type Checkpoint struct {
	FromOffsets string `json:"from_offsets"`
	BaseTotal   string `json:"base_total"`
	BaseHWM     string `json:"base_hwm"`
}

// Report is the audit's outcome (printed with --json).
type Report struct {
	OK         bool             `json:"ok"`
	Topic      string           `json:"topic"`
	Partitions []PartitionRead  `json:"partitions"`
	Log        *Result          `json:"log"`
	Problems   []string         `json:"problems,omitempty"` // in the log itself: gaps, conflicts
	Replicas   []*ReplicaReport `json:"replicas"`
	Checkpoint *Checkpoint      `json:"checkpoint,omitempty"`
	// Base is the total of the checkpoint the audit started from, if any.
	Base *big.Int `json:"base_total,omitempty"`
}

type auditOpts struct {
	replicas    string
	replicasOps string
	wait        time.Duration
	fromOffsets string
	baseTotal   string
	baseHWM     string
}

func auditCmd(g *globals) *cobra.Command {
	var o auditOpts
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "Recompute the total from the Kafka topic and check it against every totals replica",
		Long: `audit reads every partition of the topic from its oldest offset (or from a checkpoint) up to the
end offsets taken when it starts, with plain read_committed partition consumers (no consumer group:
the services' groups are not disturbed). It recomputes the total on its own: each distinct
(producer, sequence) once, each producer up to its highest sequence contiguous from 1, and reports
sequences missing from the log and events recorded twice with different content. Malformed
records are counted, never fatal.

Then, for each replica, it waits (up to --wait) until the replica has counted every producer's
highest contiguous sequence and read past the records the audit read, and compares the replica's
/stats with the recomputation over exactly the records the replica's offsets cover: the total,
the number of events counted and each producer's high-water mark. It exits 1 on any difference,
naming the producers and sequences concerned.

When retention has deleted the start of the log, the audit is partial for the producers whose
first sequences are gone (their high-water marks are checked, the total is not). A clean audit
prints a checkpoint; pass it back (--from-offsets, --base-total, --base-hwm) to audit only what
came after.`,
		Example: `  distsumctl audit
  distsumctl audit --replicas http://10.0.0.5:8080,http://10.0.0.6:8080 \
    --replicas-ops http://10.0.0.5:8083,http://10.0.0.6:8083 --wait 1m
  distsumctl audit --from-offsets 0:5123,1:4980,2:5011 --base-total 123456 --base-hwm calc-1:7000,calc-2:8114`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runAudit(cmd.Context(), g, o, cmd.Flags().Changed("replicas"))
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.replicas, "replicas", env("TOTALS_REPLICAS", ""), "comma-separated totals replica URLs to check (default: --totals) (env TOTALS_REPLICAS)")
	f.StringVar(&o.replicasOps, "replicas-ops", env("TOTALS_REPLICAS_OPS", ""), "their ops URLs (/stats), in the same order; needed with --replicas (env TOTALS_REPLICAS_OPS)")
	f.DurationVar(&o.wait, "wait", 30*time.Second, "how long each replica may take to catch up with the log")
	f.StringVar(&o.fromOffsets, "from-offsets", "", "checkpoint: start each listed partition at its offset (partition:offset,...); needs --base-total")
	f.StringVar(&o.baseTotal, "base-total", "", "checkpoint: the total counted before --from-offsets")
	f.StringVar(&o.baseHWM, "base-hwm", "", "checkpoint: each producer's high-water mark before --from-offsets (producer:sequence,...)")
	return cmd
}

// parseCheckpoint reads the checkpoint flags.
func parseCheckpoint(o auditOpts) (map[int32]int64, Base, error) {
	base := Base{HWM: map[string]uint64{}}
	if o.fromOffsets == "" {
		if o.baseTotal != "" || o.baseHWM != "" {
			return nil, base, usagef("--base-total and --base-hwm go with --from-offsets")
		}
		return nil, base, nil
	}
	from := map[int32]int64{}
	for _, e := range config.SplitList(o.fromOffsets) {
		ps, os, ok := strings.Cut(e, ":")
		p, err1 := strconv.ParseInt(ps, 10, 32)
		off, err2 := strconv.ParseInt(os, 10, 64)
		if !ok || err1 != nil || err2 != nil || p < 0 || off < 0 {
			return nil, base, usagef("--from-offsets: %q is not partition:offset", e)
		}
		from[int32(p)] = off
	}
	if o.baseTotal == "" {
		return nil, base, usagef("--from-offsets needs --base-total (the total counted before those offsets)")
	}
	t, ok := new(big.Int).SetString(o.baseTotal, 10)
	if !ok {
		return nil, base, usagef("--base-total %q is not an integer", o.baseTotal)
	}
	base.Set, base.Total = true, t
	for _, e := range config.SplitList(o.baseHWM) {
		tok, err := sumevent.ParseToken(e)
		if err != nil {
			return nil, base, usagef("--base-hwm: %v", err)
		}
		base.HWM[tok.ProducerID] = tok.Sequence
	}
	return from, base, nil
}

func runAudit(ctx context.Context, g *globals, o auditOpts, replicasSet bool) error {
	brokers, err := g.brokerList()
	if err != nil {
		return err
	}
	from, base, err := parseCheckpoint(o)
	if err != nil {
		return err
	}
	if o.wait <= 0 {
		return usagef("--wait must be positive")
	}
	urls := config.SplitList(o.replicas)
	if len(urls) == 0 {
		if replicasSet {
			return usagef("--replicas is empty")
		}
		urls = []string{g.totals}
	}
	ops := config.SplitList(o.replicasOps)
	if len(urls) == 1 && len(ops) == 0 && !replicasSet {
		ops = []string{g.totalsOps}
	}
	if len(ops) != len(urls) {
		return usagef("--replicas-ops names %d ops URLs for %d replicas: give each replica's ops URL (/stats), in the same order", len(ops), len(urls))
	}

	tr, err := openTopic(brokers, g.topic)
	if err != nil {
		return err
	}
	defer tr.Close()
	parts, err := tr.partitions()
	if err != nil {
		return err
	}
	for p := range from {
		if !slices.Contains(parts, p) {
			return usagef("--from-offsets names partition %d; topic %q has %d partitions", p, g.topic, len(parts))
		}
	}

	rep := &Report{Topic: g.topic}
	if base.Set {
		rep.Base = base.Total
	}
	l := NewLog()
	for _, p := range parts {
		oldest, end, err := tr.bounds(p)
		if err != nil {
			return err
		}
		start, fromCheckpoint := from[p]
		switch {
		case !fromCheckpoint:
			start = oldest
		case start < oldest:
			return fmt.Errorf("checkpoint offset %d of partition %d is gone: the log now starts at %d (retention); audit from the start or a newer checkpoint", start, p, oldest)
		case start > end:
			return fmt.Errorf("checkpoint offset %d of partition %d is beyond its end %d: wrong topic or cluster?", start, p, end)
		}
		l.Begin(p, start, !fromCheckpoint && oldest > 0)
		g.log.Info("reading partition", "partition", p, "from", start, "end", end)
		early, err := tr.read(ctx, p, start, end, func(off int64, v []byte) { l.Add(p, off, v) })
		if err != nil {
			return err
		}
		rep.Partitions = append(rep.Partitions, PartitionRead{Partition: p, From: start, End: end, Next: l.Next(p),
			Truncated: !fromCheckpoint && oldest > 0, StoppedEarly: early})
	}
	rep.Log = l.Recompute(nil, base)
	rep.Problems = rep.Log.Problems()
	rep.OK = len(rep.Problems) == 0

	// The checkpoint is taken before checking replicas: that may read records past the end
	// offsets, which the recomputation above does not include.
	if len(rep.Problems) == 0 && !rep.Log.Partial {
		rep.Checkpoint = checkpoint(l, rep.Log)
	}
	for i, u := range urls {
		r := checkReplica(ctx, g, tr, l, rep.Log, base, u, ops[i], o.wait)
		rep.Replicas = append(rep.Replicas, r)
		rep.OK = rep.OK && r.OK
	}
	if g.json {
		if err := g.printJSON(rep, true); err != nil {
			return err
		}
	} else {
		printReport(g.out, rep)
	}
	if !rep.OK {
		return errFailed
	}
	return nil
}

// checkReplica waits until the replica at url has caught up with what the audit read, then
// compares its /stats with the recomputation over the records its offsets cover.
func checkReplica(ctx context.Context, g *globals, tr *topicReader, l *Log, res0 *Result, base Base, url, opsURL string, wait time.Duration) *ReplicaReport {
	r := &ReplicaReport{URL: url}
	c := totalsclient.New(url, g.tls.httpClient()).WithOps(opsURL)
	wctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()

	// 1. Every producer's highest contiguous sequence is counted (long polls on the service).
	for _, p := range res0.Producers {
		if p.HWM <= p.Base {
			continue
		}
		tok := sumevent.Token{ProducerID: p.ID, Sequence: p.HWM}.String()
		if _, err := c.AwaitCounted(wctx, tok); err != nil {
			var se *totalsclient.StatusError
			if errors.As(err, &se) || wctx.Err() == nil {
				r.Error = fmt.Sprintf("waiting for %s: %v", tok, err)
				return r
			}
			g.log.Warn("replica has not counted a producer's last event in time", "replica", url, "token", tok, "err", err)
			break // the comparison below says what it lacks
		}
	}
	// 2. Its offsets are past every record the audit read (trailing duplicates and malformed
	// records included), so the comparison below covers all of them.
	var st totalsclient.Stats
	for {
		sctx, scancel := context.WithTimeout(ctx, g.timeout)
		var err error
		st, err = c.Stats(sctx)
		scancel()
		if err != nil {
			r.Error = fmt.Sprintf("stats: %v", err)
			return r
		}
		if covers(st.Offsets, l) || wctx.Err() != nil {
			break
		}
		select {
		case <-wctx.Done():
		case <-time.After(200 * time.Millisecond):
		}
	}
	r.Total, r.Offsets = st.Total, st.Offsets

	// 3. The records the replica's state covers: its offsets. Records it read after the audit
	// took the end offsets (a live system) are read now.
	cut := map[int32]int64{}
	for _, p := range l.Partitions() {
		off, ok := st.Offsets[strconv.Itoa(int(p))]
		if !ok {
			off = 0
		}
		cut[p] = off
		if next := l.Next(p); off > next {
			if _, err := tr.read(ctx, p, next, off, func(o int64, v []byte) { l.Add(p, o, v) }); err != nil {
				r.Error = fmt.Sprintf("reading partition %d up to the replica's offset %d: %v", p, off, err)
				return r
			}
		}
		if next := l.Next(p); off < next {
			r.Mismatches = append(r.Mismatches, fmt.Sprintf("partition %d: replica has read up to offset %d, the log holds records up to %d (not caught up within %s)", p, off, next-1, wait))
		}
	}
	res := l.Recompute(cut, base)
	r.Expected = res.Total
	m, notes := Compare(res, st, base)
	r.Mismatches = append(r.Mismatches, m...)
	r.Notes = notes
	r.OK = len(r.Mismatches) == 0
	return r
}

// covers reports whether a replica's offsets are past every record read of each partition.
func covers(offsets map[string]int64, l *Log) bool {
	for _, p := range l.Partitions() {
		if next := l.Next(p); next > l.start[p] && offsets[strconv.Itoa(int(p))] < next {
			return false
		}
	}
	return true
}

func checkpoint(l *Log, res *Result) *Checkpoint {
	var offs, hwms []string
	for _, p := range l.Partitions() {
		offs = append(offs, fmt.Sprintf("%d:%d", p, l.Next(p)))
	}
	for _, p := range res.Producers {
		if p.HWM > 0 {
			hwms = append(hwms, sumevent.Token{ProducerID: p.ID, Sequence: p.HWM}.String())
		}
	}
	return &Checkpoint{FromOffsets: strings.Join(offs, ","), BaseTotal: res.Total.String(), BaseHWM: strings.Join(hwms, ",")}
}

func printReport(w io.Writer, rep *Report) {
	lg := rep.Log
	fmt.Fprintf(w, "topic %s: %d records read", rep.Topic, lg.Records)
	var ps []string
	for _, p := range rep.Partitions {
		s := fmt.Sprintf("%d:%d..%d", p.Partition, p.From, p.Next)
		if p.Truncated {
			s += " (start deleted by retention)"
		}
		if p.StoppedEarly {
			s += fmt.Sprintf(" (no visible record up to end %d)", p.End)
		}
		ps = append(ps, s)
	}
	fmt.Fprintf(w, " (partition:from..next %s), %d malformed\n", strings.Join(ps, " "), lg.Malformed)
	for _, m := range lg.MalformedAt {
		fmt.Fprintf(w, "  malformed %s\n", m)
	}
	for _, p := range lg.Producers {
		fmt.Fprintf(w, "  producer %-24s holds %s, sum %s", p.ID, p.HoldsString(), p.Sum)
		if p.Copies > 0 {
			fmt.Fprintf(w, ", %s (sequences %s)", plural(p.Copies, "re-published copy"), seqList(p.CopySeqs, p.Copies))
		}
		fmt.Fprintln(w)
	}
	if rep.Base != nil {
		fmt.Fprintf(w, "expected total %s: the checkpoint's %s and %s after it\n", lg.Total, rep.Base, plural(lg.Counted, "event"))
	} else {
		fmt.Fprintf(w, "expected total %s over %s\n", lg.Total, plural(lg.Counted, "event"))
	}
	for _, pr := range rep.Problems {
		fmt.Fprintf(w, "LOG PROBLEM: %s\n", pr)
	}
	for _, r := range rep.Replicas {
		switch {
		case r.Error != "":
			fmt.Fprintf(w, "replica %s: ERROR %s\n", r.URL, r.Error)
		case r.OK:
			fmt.Fprintf(w, "replica %s: OK total %s, as recomputed over the records up to its offsets %s\n", r.URL, r.Total, offsetsString(r.Offsets))
		default:
			fmt.Fprintf(w, "replica %s: MISMATCH total %s, recomputed %s over the records up to its offsets %s\n", r.URL, r.Total, r.Expected, offsetsString(r.Offsets))
		}
		for _, m := range r.Mismatches {
			fmt.Fprintf(w, "  %s\n", m)
		}
		for _, n := range r.Notes {
			fmt.Fprintf(w, "  note: %s\n", n)
		}
	}
	if c := rep.Checkpoint; c != nil {
		fmt.Fprintf(w, "checkpoint: --from-offsets %s --base-total %s --base-hwm %s\n", c.FromOffsets, c.BaseTotal, orNone(c.BaseHWM))
	}
	if rep.OK {
		fmt.Fprintln(w, "audit OK")
	} else {
		fmt.Fprintln(w, "audit FAILED")
	}
}

func orNone(s string) string {
	if s == "" {
		return `""`
	}
	return s
}

func offsetsString(m map[string]int64) string {
	keys := slices.Sorted(maps.Keys(m))
	var out []string
	for _, k := range keys {
		out = append(out, fmt.Sprintf("%s:%d", k, m[k]))
	}
	return strings.Join(out, " ")
}
