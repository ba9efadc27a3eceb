package kafka

import (
	"strings"
	"testing"
)

func TestRenderFillsEveryPlaceholder(t *testing.T) {
	s := Render(Params{NodeID: 1, Host: "127.0.0.1", Port: 19092, ControllerPort: 19093, DataDir: "/tmp/k"})
	if strings.Contains(s, "@") && !strings.Contains(s, "1@127.0.0.1:19093") {
		t.Fatalf("placeholder left:\n%s", s)
	}
	p := Properties(Params{NodeID: 1, Host: "127.0.0.1", Port: 19092, ControllerPort: 19093, DataDir: "/tmp/k"})
	for k, want := range map[string]string{
		"node.id":                          "1",
		"controller.quorum.voters":         "1@127.0.0.1:19093",
		"listeners":                        "PLAINTEXT://127.0.0.1:19092,CONTROLLER://127.0.0.1:19093",
		"log.dirs":                         "/tmp/k",
		"offsets.topic.replication.factor": "1",
		"auto.create.topics.enable":        "false",
		"broker.session.timeout.ms":        "4000",
	} {
		if p[k] != want {
			t.Errorf("%s = %q, want %q", k, p[k], want)
		}
	}
}

func TestPropertyName(t *testing.T) {
	cases := map[string]string{
		"KAFKA_NODE_ID":                              "node.id",
		"KAFKA_ADVERTISED_LISTENERS":                 "advertised.listeners",
		"KAFKA_TRANSACTION_STATE_LOG_MIN_ISR":        "transaction.state.log.min.isr",
		"KAFKA_LISTENER_NAME_CLIENT__A_SASL":         "listener.name.client_a.sasl",
		"KAFKA_SOME___DASHED_NAME":                   "some-dashed.name",
		"KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR":     "offsets.topic.replication.factor",
		"KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS":     "group.initial.rebalance.delay.ms",
		"KAFKA_LISTENER_SECURITY_PROTOCOL_MAP":       "listener.security.protocol.map",
		"KAFKA_CONTROLLER_QUORUM_VOTERS":             "controller.quorum.voters",
		"KAFKA_AUTO_CREATE_TOPICS_ENABLE":            "auto.create.topics.enable",
		"KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FA": "transaction.state.log.replication.fa",
	}
	for env, want := range cases {
		if got := PropertyName(env); got != want {
			t.Errorf("PropertyName(%q) = %q, want %q", env, got, want)
		}
		if got := EnvName(want); got != env {
			t.Errorf("EnvName(%q) = %q, want %q", want, got, env)
		}
	}
	for k := range Properties(Params{NodeID: 1, Host: "h", Port: 1, ControllerPort: 2, DataDir: "/d"}) {
		if got := PropertyName(EnvName(k)); got != k {
			t.Errorf("%s -> %s -> %s", k, EnvName(k), got)
		}
	}
}
