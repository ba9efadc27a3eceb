package outbox

// FillBatch is the group commit's batching, one owner for both outbox
// backends: batch becomes first plus whatever is already queued on reqs, up
// to max, without waiting. Whatever queued up while the previous commit was
// being made goes into the next one. A closed reqs ends the fill; the caller
// sees the close on its next receive.
func FillBatch[T any](batch []T, first T, reqs <-chan T, max int) []T {
	batch = append(batch[:0], first)
	for len(batch) < max {
		select {
		case r, ok := <-reqs:
			if !ok {
				return batch
			}
			batch = append(batch, r)
		default:
			return batch
		}
	}
	return batch
}
