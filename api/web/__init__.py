"""Web pages served beside the API (the dispatch console; pages for customers)."""
