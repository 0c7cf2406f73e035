"""Knowledge base: articles with versions, sections and full-text search (English and Chinese)."""
