"""SLA and OLA clocks: policies, one row per clock, the warning and breach scan, escalation."""
