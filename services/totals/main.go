// Command totals keeps the running total of every sum the calculator accepted,
// exactly once, from the Kafka topic, in a crash-safe state file, and serves
// it over REST (GET /total).
package main

import "github.com/distsum/distsum/libs/service"

func main() {
	service.Main("totals", LoadConfig, func(c Config) service.Ops { return c.Ops }, InitializeApp)
}
