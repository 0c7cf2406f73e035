"""Engineers, their skills and home bases, and the teams they belong to."""
