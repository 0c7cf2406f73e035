"""Customers (households and businesses) and their contacts."""
