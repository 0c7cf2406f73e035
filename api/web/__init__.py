"""Server-rendered web pages (customers, dispatchers)."""
