package main

import "testing"

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
