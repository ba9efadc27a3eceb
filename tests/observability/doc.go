// Package observability holds the tests of the project's observability files: the Grafana
// dashboards under observability/grafana and the Prometheus configuration and alert rules under
// observability/prometheus.
//
// Offline (always): dashboard JSON structure, datasource uids, every metric name used in a query or
// an alert belongs to the metric contract, PromQL syntax and promtool checks when promtool is
// installed.
//
// Live (PROMETHEUS_URL set, e.g. http://127.0.0.1:9095): every dashboard query runs against that
// Prometheus and must return at least one series. With CALCULATOR_GRPC_ADDR (e.g. 127.0.0.1:9090)
// and TOTALS_URL (e.g. http://127.0.0.1:8080) the test first sends a few Adds and reads the total
// so that the services have served traffic.
package observability
