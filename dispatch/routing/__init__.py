"""Routing rules, desk teams and agents, and the assignment of tickets inside a team."""
