"""Shifts: when each engineer works on a given day, and their break."""
