package sumevent

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/IBM/sarama"
)

func TestEncodeDecodeRoundTrip(t *testing.T) {
	in := Event{ProducerID: "calc-1", Sequence: 7, RequestID: "r-1", Num1: math.MaxInt64 - 5, Num2: 5, Sum: math.MaxInt64, AcceptedAt: 123}
	b, err := Encode(in)
	if err != nil {
		t.Fatal(err)
	}
	out, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	in.Version = SchemaVersion
	if out != in {
		t.Fatalf("round trip: got %+v want %+v", out, in)
	}
}

func TestDecodeRejectsMalformed(t *testing.T) {
	cases := map[string]string{
		"not json":        `hello`,
		"empty":           ``,
		"wrong version":   `{"v":2,"producer":"p","seq":1,"num1":1,"num2":2,"sum":3}`,
		"no producer":     `{"v":1,"seq":1,"num1":1,"num2":2,"sum":3}`,
		"zero sequence":   `{"v":1,"producer":"p","seq":0,"num1":1,"num2":2,"sum":3}`,
		"wrong sum":       `{"v":1,"producer":"p","seq":1,"num1":1,"num2":2,"sum":4}`,
		"unknown field":   `{"v":1,"producer":"p","seq":1,"num1":1,"num2":2,"sum":3,"x":1}`,
		"trailing data":   `{"v":1,"producer":"p","seq":1,"num1":1,"num2":2,"sum":3} {}`,
		"bad producer":    `{"v":1,"producer":"a b","seq":1,"num1":1,"num2":2,"sum":3}`,
		"negative seq":    `{"v":1,"producer":"p","seq":-1,"num1":1,"num2":2,"sum":3}`,
		"overflowing sum": `{"v":1,"producer":"p","seq":1,"num1":9223372036854775807,"num2":1,"sum":-9223372036854775808}`,
	}
	for name, raw := range cases {
		if _, err := Decode([]byte(raw)); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: got %v, want ErrMalformed", name, err)
		}
	}
}

func TestCheckedAdd(t *testing.T) {
	for _, c := range []struct {
		a, b, s int64
		ok      bool
	}{
		{5, 10, 15, true},
		{math.MaxInt64, 1, 0, false},
		{math.MinInt64, -1, 0, false},
		{math.MaxInt64, math.MinInt64, -1, true},
		{math.MinInt64, 0, math.MinInt64, true},
		{-3, -4, -7, true},
	} {
		s, ok := CheckedAdd(c.a, c.b)
		if ok != c.ok || (ok && s != c.s) {
			t.Errorf("CheckedAdd(%d,%d) = %d,%v want %d,%v", c.a, c.b, s, ok, c.s, c.ok)
		}
	}
}

func TestToken(t *testing.T) {
	tok, err := ParseToken("calc-ab12:42")
	if err != nil || tok.ProducerID != "calc-ab12" || tok.Sequence != 42 {
		t.Fatalf("ParseToken: %+v %v", tok, err)
	}
	if tok.String() != "calc-ab12:42" {
		t.Fatalf("String: %s", tok)
	}
	for _, bad := range []string{"", "x", ":1", "p:0", "p:-1", "p:x", "a b:1"} {
		if _, err := ParseToken(bad); err == nil {
			t.Errorf("ParseToken(%q) accepted", bad)
		}
	}
}

func TestMessageIsKeyedByProducer(t *testing.T) {
	e := Event{ProducerID: "calc-x", Sequence: 9, Num1: 1, Num2: 2, Sum: 3, AcceptedAt: time.Now().UnixNano()}
	m, err := Message("calculator-sum-topic", e)
	if err != nil {
		t.Fatal(err)
	}
	k, _ := m.Key.Encode()
	v, _ := m.Value.Encode()
	got, err := Decode(v)
	if string(k) != "calc-x" || err != nil || got.Sequence != 9 || got.Sum != 3 {
		t.Fatalf("key %q value %+v err %v", k, got, err)
	}
	if _, err := Message("t", Event{ProducerID: "p", Sequence: 1, Num1: 1, Num2: 1, Sum: 3}); err == nil {
		t.Fatal("an event with a wrong sum was encoded")
	}
}

func TestTraceContextTravelsInHeadersNotInTheValue(t *testing.T) {
	tp := "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
	e := Event{ProducerID: "calc-x", Sequence: 1, Num1: 1, Num2: 2, Sum: 3, TraceParent: tp, TraceState: "k=v"}
	m, err := Message("t", e)
	if err != nil {
		t.Fatal(err)
	}
	v, _ := m.Value.Encode()
	if strings.Contains(string(v), "0af7651916cd") {
		t.Fatalf("trace context in the record value: %s", v)
	}
	hs := make([]*sarama.RecordHeader, len(m.Headers))
	for i := range m.Headers {
		hs[i] = &m.Headers[i]
	}
	if gotTP, gotTS := TraceHeaders(hs); gotTP != tp || gotTS != "k=v" {
		t.Fatalf("headers give %q %q", gotTP, gotTS)
	}
	m, _ = Message("t", Event{ProducerID: "calc-x", Sequence: 2, Num1: 1, Num2: 2, Sum: 3})
	if len(m.Headers) != 2 {
		t.Fatalf("untraced event has headers %v", m.Headers)
	}
	if gotTP, gotTS := TraceHeaders(nil); gotTP != "" || gotTS != "" {
		t.Fatal("no headers gave a trace context")
	}
}
