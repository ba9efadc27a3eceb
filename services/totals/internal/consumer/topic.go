package consumer

// checkTopic compares the topic's id with the one the state records; a state
// that records none (a first start, or a file saved before ids were kept)
// records it now.
func (c *Consumer) checkTopic() {
	if c.topology == nil {
		return
	}
	id, err := c.topology.TopicID(c.topic)
	if err != nil {
		c.log.Warn("cannot read the topic's id", "err", err)
		return
	}
	if c.ledger.TopicID() == "" {
		c.ledger.SetTopicID(id)
	}
}
