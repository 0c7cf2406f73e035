"""Reports: daily aggregate rows built by a job, and the figures read from them."""
