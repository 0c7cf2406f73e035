"""Sites: the places where work is done, with coordinates (given or geocoded)."""
