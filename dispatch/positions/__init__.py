"""The latest known position of each engineer on shift (no track is kept)."""
