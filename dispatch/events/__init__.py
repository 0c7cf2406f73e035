"""The append-only event log: who changed what, when, from what to what."""
