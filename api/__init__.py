"""The HTTP side: Flask app factory, flask-smorest blueprints, auth, errors and web pages."""

from api.app import create_app

__all__ = ["create_app"]
