"""Satisfaction surveys: a one-time link after a visit or a resolved ticket, ratings, low-score reviews."""
