// Command calculator serves Add over gRPC. Each accepted sum is committed to
// a durable outbox before it is answered, and a relay publishes the outbox to
// Kafka for the totals service.
package main

import "github.com/distsum/distsum/libs/service"

func main() {
	service.Main("calculator", LoadConfig, func(c Config) service.Ops { return c.Ops }, InitializeApp)
}
