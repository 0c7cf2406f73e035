"""Users, roles, passwords and token revocation."""
