package main

import "testing"

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
		if got := propertyName(env); got != want {
			t.Errorf("propertyName(%q) = %q, want %q", env, got, want)
		}
	}
}

func TestPropertiesOverlayDefaults(t *testing.T) {
	p := properties([]string{
		"KAFKA_NODE_ID=7",
		"KAFKA_HEAP_OPTS=-Xmx1g",
		"KAFKA_ADVERTISED_LISTENERS=PLAINTEXT://kafka:9092",
		"PATH=/bin",
	})
	if p["node.id"] != "7" || p["advertised.listeners"] != "PLAINTEXT://kafka:9092" {
		t.Fatalf("env not applied: %v", p)
	}
	if _, ok := p["heap.opts"]; ok {
		t.Fatal("JVM option leaked into broker properties")
	}
	if p["offsets.topic.replication.factor"] != "1" || p["auto.create.topics.enable"] != "false" {
		t.Fatalf("single-node defaults missing: %v", p)
	}
}
