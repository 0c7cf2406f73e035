"""Quality review: samples of closed tickets per agent and week, scored on a weighted rubric."""
