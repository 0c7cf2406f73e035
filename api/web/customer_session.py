"""The customer pages' login session: a flask-jwt-extended access token in an HttpOnly cookie.

Every form that changes something carries the token's CSRF value (double submit) and
flask-jwt-extended refuses it without; the API keeps its bearer tokens in headers.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Flask, Response, current_app, make_response, redirect, request, url_for
from flask_jwt_extended import (
    create_access_token,
    get_current_user,
    get_jwt,
    set_access_cookies,
    unset_jwt_cookies,
    verify_jwt_in_request,
)
from flask_jwt_extended.exceptions import JWTExtendedException
from jwt.exceptions import PyJWTError
from werkzeug.wrappers import Response as WerkzeugResponse

from api import auth, database
from dispatch.access import Role
from dispatch.config import Settings
from dispatch.users.models import User


def configure(app: Flask) -> None:
    """The cookie side of flask-jwt-extended: HttpOnly, SameSite=Lax, Secure in production, CSRF."""
    settings: Settings = app.config["DISPATCH"]
    app.config.update(
        JWT_COOKIE_SECURE=settings.env == "production",
        JWT_COOKIE_SAMESITE="Lax",
        JWT_COOKIE_CSRF_PROTECT=True,
        JWT_CSRF_CHECK_FORM=True,
        JWT_ACCESS_COOKIE_PATH="/",
    )


def current_customer() -> User | None:
    """The customer logged in with the page cookie (CSRF checked on POST), else None."""
    try:
        verify_jwt_in_request(optional=True, locations=["cookies"])
    except (JWTExtendedException, PyJWTError):
        return None
    user: User | None = get_current_user()
    if user is None or user.role is not Role.CUSTOMER:
        return None
    return user


def login_first() -> WerkzeugResponse:
    """Send the visitor to log in, and back here afterwards."""
    return redirect(url_for("customer.login", next=request.full_path.rstrip("?")))


def csrf() -> str:
    """The CSRF value forms must send back (from the verified login cookie)."""
    return str(get_jwt().get("csrf", ""))


def _token(user: User) -> str:
    token: str = create_access_token(identity=user, additional_claims={"role": Role.CUSTOMER.value})
    return token


def signed_in(user: User, response: WerkzeugResponse) -> Response:
    """The response with the customer's login cookie set."""
    out = make_response(response)
    set_access_cookies(out, _token(user))
    return out


def signed_out(response: WerkzeugResponse) -> Response:
    """Revoke the cookie's token (if any) and clear the cookies."""
    if current_customer() is not None:
        auth.revoke(get_jwt())
        database.commit()
    out = make_response(response)
    unset_jwt_cookies(out)
    return out


def keep_alive(response: Response) -> Response:
    """Renew the login cookie when half its life or less is left and the customer is active."""
    try:
        claims = get_jwt()
    except (RuntimeError, KeyError):
        return response
    if not claims or claims.get("role") != Role.CUSTOMER.value:
        return response
    life = current_app.config["JWT_ACCESS_TOKEN_EXPIRES"]
    if datetime.fromtimestamp(claims["exp"], UTC) - datetime.now(UTC) < life / 2:
        user = get_current_user()
        if user is not None:
            set_access_cookies(response, _token(user))
    return response
