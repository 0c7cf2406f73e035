"""WSGI entry point: ``gunicorn wsgi:app``."""

from api import create_app
from dispatch.cli import settle_heap

app = create_app()
settle_heap()
