// Package observability holds the tests of the project's observability files: the Grafana
// dashboards under observability/grafana and the Prometheus configuration and alert rules under
// observability/prometheus.
//
// Offline (always): dashboard JSON structure, the dashboards against Grafana's dashboard schema
// (the Grafana Foundation SDK's strict decoder, with a broken copy as negative control), the
// ${datasource}, $job and $instance variables and no fixed datasource uid or address, every metric
// name used in a query or an alert belongs to the metric contract, PromQL syntax and promtool
// checks when promtool is installed, amtool checks when amtool is installed.
//
// Live (PROMETHEUS_URL set, e.g. http://127.0.0.1:9095): the job and instance variables' own
// queries run against that Prometheus, then every dashboard query, with the variables substituted
// as Grafana does for "All", must return at least one series. With ALERTMANAGER_URL (e.g.
// http://127.0.0.1:9096) Prometheus must list that Alertmanager as active. With CALCULATOR_GRPC_ADDR (e.g. 127.0.0.1:9090)
// and TOTALS_URL (e.g. http://127.0.0.1:8080) the test first sends a few Adds and reads the total
// so that the services have served traffic.
package observability
