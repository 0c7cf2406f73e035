"""What happened on a visit: notes, parts used, the check-in distance, and the customer's report."""
