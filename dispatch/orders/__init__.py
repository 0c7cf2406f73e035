"""On-site service orders ("jobs"): time windows, assignment and their state machine."""
