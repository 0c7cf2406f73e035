"""The engineers' PWA: static files only (this module makes them install with the service)."""
