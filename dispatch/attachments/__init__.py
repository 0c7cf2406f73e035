"""Photos and signatures taken on a job, stored by content."""
