// Package infra holds the container helpers of the end-to-end failure suite: a local Docker
// engine, locally built images (nothing can be pulled here), a private network, a real Kafka
// broker that can be killed with SIGKILL and restarted on the same data, and Toxiproxy links
// between each service and Kafka that can be cut and healed independently.
//
// # Running
//
// The suites that use this package run only when E2E=1; otherwise they skip with a message.
// With E2E=1 a missing or broken engine is a test failure, not a skip.
//
//	E2E=1 go test ./tests/e2e/...
//
// If DOCKER_HOST is unset or does not answer, EnsureEngine starts the project's engine with
// scripts/docker-engine.sh (Debian's dockerd unpacked under .cache/docker, socket
// .run/docker/docker.sock) and sets for this process:
//
//	DOCKER_HOST=unix://<repo>/.run/docker/docker.sock
//	TESTCONTAINERS_RYUK_DISABLED=true     (the Ryuk image cannot be pulled)
//	TESTCONTAINERS_HOST_OVERRIDE=127.0.0.1 (the machine has /.dockerenv, which misleads detection)
//	PATH=<repo>/.cache/docker/root/usr/bin:<repo>/.cache/docker/root/usr/sbin:$PATH
//
// Use Main from TestMain to stop an engine that the test process started itself.
//
// # Images
//
//	KAFKA_IMAGE          broker image (default distsum/kafka:4.1.1, built locally; apache/kafka:4.1.1 works too)
//	TOXIPROXY_IMAGE      default distsum/toxiproxy:2.12.0, built locally
//	CALCULATOR_IMAGE_TAR docker-loadable tarball of the calculator image (else built from ./services/calculator)
//	TOTALS_IMAGE_TAR     same for totals (else built from ./services/totals)
//	OCIIMAGE_BIN         the tools/ociimage binary (else built with go build)
//
// Service images come from one writer, tools/ociimage (the Bazel rule's): under Bazel as the
// tarballs above, otherwise GoImage builds the static binary and runs the tool the same way.
// Every tarball is loaded by `ociimage load`.
//
// # Topology
//
// Every container joins one user-defined bridge network. The broker has one listener per
// kind of client, and each listener advertises the address its clients must use, because Kafka
// clients reconnect to the advertised address rather than to the bootstrap address:
//
//	CONTROLLER  :9093   KRaft controller, inside the container only
//	INTERNAL    :19092  advertised <alias>:19092, inter-broker and direct in-network access
//	HOST        :9092   published on a fixed 127.0.0.1 port, advertised 127.0.0.1:<port>
//	P_<CLIENT>  :2909x  advertised <toxiproxy alias>:2909x; Toxiproxy forwards to <alias>:2909x
//
// A service given ClientBootstrap("calculator") as its brokers reaches Kafka only through its
// own proxy, so Link("calculator").Cut() partitions the calculator from Kafka while the totals
// service keeps its own path.
//
// StartKafkaCluster runs n such nodes (kafka-1..kafka-n, each broker and controller, one
// controller quorum of all n, one cluster id, a volume each) with the internal topics replicated
// (RF min(n,3), min ISR min(n,2)). Each proxied client gets one listener and one link per broker,
// on proxy port 29092+100*(node-1)+client index: KafkaCluster.Links(client) cuts a client from
// the whole cluster, Broker(id).Link(client) from one node, and Isolate takes a node off the
// network (other nodes, every link, the host) for a while.
package infra
