"""Demo data: the seeded city loaded through the services, with a login for every role."""
