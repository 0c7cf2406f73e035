"""Planning: optimizer runs for a day, publishing their routes, re-planning during the day."""
