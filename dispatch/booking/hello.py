"""A Flask hello-world: the benchmark's yardstick for what gunicorn and Flask alone cost here."""

from __future__ import annotations

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello() -> str:
    """Say hello."""
    return "Hello, World!"
