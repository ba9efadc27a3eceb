// Command kafka-entrypoint starts a single Apache Kafka KRaft node inside the distsum/kafka image,
// which has a bare JRE and no shell.
//
// It writes server.properties from the project's broker settings (deploy/kafka) overlaid with
// KAFKA_* environment variables (the same convention as the official apache/kafka image: strip
// KAFKA_, lower-case, "_" -> ".", "__" -> "_", "___" -> "-"; e.g. KAFKA_ADVERTISED_LISTENERS ->
// advertised.listeners), formats the log directory for KRaft if it has no meta.properties yet, and then replaces itself with the
// broker JVM, so the broker is PID 1 and receives the container's signals directly.
//
// Environment besides KAFKA_<property>:
//
//	CLUSTER_ID              KRaft cluster id used when formatting (default: a fixed id)
//	KAFKA_HEAP_OPTS         JVM heap flags (default "-Xms128m -Xmx512m")
//	KAFKA_JVM_PERFORMANCE_OPTS  GC/JIT flags (default serial GC, tuned for small test machines)
//	KAFKA_OPTS              extra JVM flags
//	KAFKA_LOG4J_OPTS        log4j flags (default: the image's log4j2.properties)
package main

import (
	"bufio"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"

	brokerconf "github.com/distsum/distsum/deploy/kafka"
)

const (
	kafkaHome        = "/opt/kafka"
	javaBin          = "/opt/java/bin/java"
	configFile       = kafkaHome + "/config/server.properties"
	log4jFile        = kafkaHome + "/config/log4j2.properties"
	defaultClusterID = "ZGlzdHN1bS1rYWZrYS0x" // 16 bytes, base64url: "distsum-kafka-1"
)

// Variables read as JVM options rather than broker properties.
var jvmEnv = map[string]bool{
	"KAFKA_HEAP_OPTS":            true,
	"KAFKA_OPTS":                 true,
	"KAFKA_JVM_PERFORMANCE_OPTS": true,
	"KAFKA_GC_LOG_OPTS":          true,
	"KAFKA_LOG4J_OPTS":           true,
	"KAFKA_JMX_OPTS":             true,
	"KAFKA_DEBUG":                true,
	"KAFKA_HOME":                 true,
	"KAFKA_VERSION":              true,
	"KAFKA_LOG4J_ROOT_LOGLEVEL":  true,
	"KAFKA_LOG4J_LOGGERS":        true,
}

// defaults is a complete single-node broker+controller: the project's broker settings
// (deploy/kafka), listening on every interface of the container; env vars override single keys.
func defaults() map[string]string {
	props := brokerconf.Properties(brokerconf.Params{
		NodeID: 1, Host: "localhost", Port: 9092, ControllerPort: 9093, DataDir: "/var/lib/kafka/data",
	})
	props["listeners"] = "PLAINTEXT://:9092,CONTROLLER://:9093"
	return props
}

func properties(environ []string) map[string]string {
	props := defaults()
	for _, kv := range environ {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || !strings.HasPrefix(k, "KAFKA_") || jvmEnv[k] {
			continue
		}
		props[brokerconf.PropertyName(k)] = v
	}
	return props
}

func writeProperties(path string, props map[string]string) error {
	keys := make([]string, 0, len(props))
	for k := range props {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString("# Written by kafka-entrypoint from defaults and KAFKA_* environment variables.\n")
	for _, k := range keys {
		fmt.Fprintf(&b, "%s=%s\n", k, props[k])
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}

func envOr(k, def string) string {
	if v, ok := os.LookupEnv(k); ok && v != "" {
		return v
	}
	return def
}

func jvmArgs() []string {
	args := []string{}
	args = append(args, strings.Fields(envOr("KAFKA_HEAP_OPTS", "-Xms128m -Xmx512m"))...)
	args = append(args, strings.Fields(envOr("KAFKA_JVM_PERFORMANCE_OPTS",
		"-XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true"))...)
	args = append(args, strings.Fields(os.Getenv("KAFKA_GC_LOG_OPTS"))...)
	args = append(args, strings.Fields(envOr("KAFKA_LOG4J_OPTS", "-Dlog4j2.configurationFile="+log4jFile))...)
	args = append(args, strings.Fields(os.Getenv("KAFKA_OPTS"))...)
	args = append(args, "-cp", kafkaHome+"/libs/*")
	return args
}

// formatted reports whether every log dir already has KRaft metadata.
func formatted(logDirs string) bool {
	for _, d := range strings.Split(logDirs, ",") {
		d = strings.TrimSpace(d)
		if d == "" {
			continue
		}
		if _, err := os.Stat(filepath.Join(d, "meta.properties")); err != nil {
			return false
		}
	}
	return true
}

func firstNonEmpty(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}

func run() error {
	props := properties(os.Environ())
	if err := writeProperties(configFile, props); err != nil {
		return fmt.Errorf("write %s: %w", configFile, err)
	}
	logDirs := firstNonEmpty(props["log.dirs"], props["log.dir"], "/tmp/kafka-logs")
	for _, d := range strings.Split(logDirs, ",") {
		if d = strings.TrimSpace(d); d != "" {
			if err := os.MkdirAll(d, 0o755); err != nil {
				return fmt.Errorf("create log dir %s: %w", d, err)
			}
		}
	}
	if !formatted(logDirs) {
		clusterID := envOr("CLUSTER_ID", defaultClusterID)
		slog.Info("formatting KRaft storage", "log_dirs", logDirs, "cluster_id", clusterID)
		args := append(jvmArgs(), "kafka.tools.StorageTool", "format",
			"--cluster-id", clusterID, "--config", configFile, "--ignore-formatted")
		cmd := exec.Command(javaBin, args...)
		cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("format storage: %w", err)
		}
	}
	argv := append([]string{javaBin}, jvmArgs()...)
	argv = append(argv, "kafka.Kafka", configFile)
	slog.Info("starting broker", "node_id", props["node.id"], "listeners", props["listeners"],
		"advertised_listeners", props["advertised.listeners"])
	return syscall.Exec(javaBin, argv, os.Environ())
}

func main() {
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, nil)))
	if len(os.Args) > 1 && os.Args[1] == "print-config" {
		// Debug aid: show the properties this environment produces.
		w := bufio.NewWriter(os.Stdout)
		props := properties(os.Environ())
		keys := make([]string, 0, len(props))
		for k := range props {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Fprintf(w, "%s=%s\n", k, props[k])
		}
		_ = w.Flush()
		return
	}
	if err := run(); err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			slog.Error("kafka-entrypoint failed", "err", err)
			os.Exit(ee.ExitCode())
		}
		slog.Error("kafka-entrypoint failed", "err", err)
		os.Exit(1)
	}
}
