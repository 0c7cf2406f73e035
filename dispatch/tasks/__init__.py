"""Background work: RQ on Redis in production, an in-process worker thread by default."""
