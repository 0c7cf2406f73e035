"""Idempotency keys: a retried write gets the answer of the first attempt, applied once."""
