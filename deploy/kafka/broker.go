// Package kafka is the one source of the settings of every Apache Kafka broker the project runs:
// scripts/kafka.sh (make up) renders server.properties.tmpl with sed, the test kit
// (tests/testkit) with Render, the distsum/kafka image's entrypoint takes Properties as its
// defaults, and the end-to-end suite passes the same Properties to the container as KAFKA_*
// variables (EnvName).
package kafka

import (
	_ "embed"
	"strconv"
	"strings"
)

//go:embed server.properties.tmpl
var serverProperties string

// Params fill in the template's placeholders.
type Params struct {
	NodeID         int    // @NODE_ID@
	Host           string // @HOST@: listen and advertised host
	Port           int    // @PORT@: client listener
	ControllerPort int    // @CONTROLLER_PORT@
	DataDir        string // @DATA_DIR@: log.dirs
}

// Render returns server.properties for p: the template with its placeholders replaced.
func Render(p Params) string {
	return strings.NewReplacer(
		"@NODE_ID@", strconv.Itoa(p.NodeID),
		"@HOST@", p.Host,
		"@CONTROLLER_PORT@", strconv.Itoa(p.ControllerPort),
		"@PORT@", strconv.Itoa(p.Port),
		"@DATA_DIR@", p.DataDir,
	).Replace(serverProperties)
}

// Properties returns the settings Render writes, by name.
func Properties(p Params) map[string]string {
	props := map[string]string{}
	for _, line := range strings.Split(Render(p), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' || line[0] == '!' {
			continue
		}
		if k, v, ok := strings.Cut(line, "="); ok {
			props[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	return props
}

// EnvName is the environment variable that sets property in the apache/kafka and distsum/kafka
// images: KAFKA_ and the name upper-cased, with "." -> "_", "_" -> "__", "-" -> "___".
func EnvName(property string) string {
	s := strings.ReplaceAll(property, "_", "__")
	s = strings.ReplaceAll(s, "-", "___")
	s = strings.ReplaceAll(s, ".", "_")
	return "KAFKA_" + strings.ToUpper(s)
}

// PropertyName is the inverse of EnvName: KAFKA_FOO_BAR__BAZ___QUX is foo.bar_baz-qux.
func PropertyName(env string) string {
	s := strings.ToLower(strings.TrimPrefix(env, "KAFKA_"))
	s = strings.ReplaceAll(s, "___", "\x01")
	s = strings.ReplaceAll(s, "__", "\x02")
	s = strings.ReplaceAll(s, "_", ".")
	s = strings.ReplaceAll(s, "\x01", "-")
	return strings.ReplaceAll(s, "\x02", "_")
}
