"""Route-aware booking: feasible time windows against the live plan, bookings, tracking links."""
