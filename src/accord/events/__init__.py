"""The event log: an append-only, hash-chained record of every change."""
