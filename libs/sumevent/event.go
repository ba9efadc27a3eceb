// Package sumevent defines the record the calculator publishes for every
// accepted Add and the totals service applies: its encoding on the Kafka
// topic, its validation, and the token a client uses to wait for it.
package sumevent

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// SchemaVersion is written into every record so that a future format can be
// told apart from a malformed one.
const SchemaVersion = 1

// MaxProducerIDLen bounds producer identities (they are map keys in the
// totals state and Kafka record keys).
const MaxProducerIDLen = 64

// Event is one accepted Add. (ProducerID, Sequence) is its identity: each
// calculator instance numbers its events 1, 2, 3, ... in the order it
// accepted them, and the totals service applies each producer's events
// strictly in that order, skipping any at or below the highest applied.
type Event struct {
	Version    int    `json:"v"`
	ProducerID string `json:"producer"`
	Sequence   uint64 `json:"seq"`
	RequestID  string `json:"request_id,omitempty"`
	Num1       int64  `json:"num1"`
	Num2       int64  `json:"num2"`
	Sum        int64  `json:"sum"`
	// AcceptedAt is when the calculator made the event durable, in Unix
	// nanoseconds; used for end-to-end latency.
	AcceptedAt int64 `json:"accepted_at"`
	// TraceParent and TraceState are the W3C trace context of the Add that
	// made the event (empty when it was not traced): kept in the outbox and
	// sent as the record's headers, never in its value.
	TraceParent string `json:"-"`
	TraceState  string `json:"-"`
}

// Token is the client-facing identity of the event.
func (e Event) Token() Token { return Token{ProducerID: e.ProducerID, Sequence: e.Sequence} }

// Accepted returns AcceptedAt as a time.
func (e Event) Accepted() time.Time { return time.Unix(0, e.AcceptedAt) }

// Encode returns the record value.
func Encode(e Event) ([]byte, error) {
	e.Version = SchemaVersion
	if err := e.Validate(); err != nil {
		return nil, err
	}
	return json.Marshal(e)
}

// ErrMalformed wraps every reason a record cannot be applied.
var ErrMalformed = errors.New("malformed sum event")

// Decode parses and validates a record value. Unknown fields are rejected so
// that a record of another shape is parked, not misread.
func Decode(b []byte) (Event, error) {
	var e Event
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil {
		return Event{}, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if dec.More() {
		return Event{}, fmt.Errorf("%w: trailing data after the event", ErrMalformed)
	}
	if e.Version != SchemaVersion {
		return Event{}, fmt.Errorf("%w: unsupported version %d", ErrMalformed, e.Version)
	}
	if err := e.Validate(); err != nil {
		return Event{}, err
	}
	return e, nil
}

// Validate checks the invariants every applied event must satisfy, including
// that the sum is the exact sum of its operands (a corrupted record cannot
// slip a wrong number into the total).
func (e Event) Validate() error {
	if err := ValidateProducerID(e.ProducerID); err != nil {
		return fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if e.Sequence == 0 {
		return fmt.Errorf("%w: sequence must be positive", ErrMalformed)
	}
	if s, ok := CheckedAdd(e.Num1, e.Num2); !ok || s != e.Sum {
		return fmt.Errorf("%w: sum %d is not %d + %d", ErrMalformed, e.Sum, e.Num1, e.Num2)
	}
	return nil
}

// ValidateProducerID accepts 1..64 characters of [A-Za-z0-9._-].
func ValidateProducerID(id string) error {
	if id == "" || len(id) > MaxProducerIDLen {
		return fmt.Errorf("producer id must be 1..%d characters", MaxProducerIDLen)
	}
	for _, c := range id {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return fmt.Errorf("producer id %q has a character outside [A-Za-z0-9._-]", id)
		}
	}
	return nil
}

// CheckedAdd returns a+b and false when the sum does not fit in int64.
func CheckedAdd(a, b int64) (int64, bool) {
	s := a + b
	if (a > 0 && b > 0 && s < 0) || (a < 0 && b < 0 && s >= 0) {
		return 0, false
	}
	return s, true
}

// Token identifies an event to clients: "producer:sequence".
type Token struct {
	ProducerID string
	Sequence   uint64
}

func (t Token) String() string { return t.ProducerID + ":" + strconv.FormatUint(t.Sequence, 10) }

// ParseToken parses "producer:sequence".
func ParseToken(s string) (Token, error) {
	i := strings.LastIndexByte(s, ':')
	if i <= 0 {
		return Token{}, fmt.Errorf("token %q is not producer:sequence", s)
	}
	seq, err := strconv.ParseUint(s[i+1:], 10, 64)
	if err != nil || seq == 0 {
		return Token{}, fmt.Errorf("token %q has no positive sequence", s)
	}
	if err := ValidateProducerID(s[:i]); err != nil {
		return Token{}, fmt.Errorf("token %q: %v", s, err)
	}
	return Token{ProducerID: s[:i], Sequence: seq}, nil
}
