"""Login with a bearer token (flask-jwt-extended), refresh and revoke; who the caller is."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Flask, current_app, g, request
from flask_jwt_extended import (
    JWTManager,
    create_access_token,
    create_refresh_token,
    current_user,
    decode_token,
    get_jwt,
    jwt_required,
    verify_jwt_in_request,
)
from flask_smorest import Blueprint
from flask_smorest.error_handler import ErrorSchema
from marshmallow import Schema, fields, validate

from api import database
from api.database import View
from api.errors import payload
from api.fields import Id, Text
from dispatch.access import Actor, Role
from dispatch.config import Settings
from dispatch.quality import service as quality
from dispatch.users import service as users
from dispatch.users.models import User

jwt = JWTManager()
blp = Blueprint("auth", __name__, url_prefix="/api/v1/auth", description="Log in, refresh and revoke tokens")


def init_app(app: Flask, settings: Settings) -> None:
    """Configure JWTs: short access tokens, long refresh tokens, revocation checked in the database."""
    app.config.update(
        JWT_SECRET_KEY=settings.secret_key,
        JWT_ACCESS_TOKEN_EXPIRES=timedelta(minutes=settings.access_token_minutes),
        JWT_REFRESH_TOKEN_EXPIRES=timedelta(days=settings.refresh_token_days),
        JWT_TOKEN_LOCATION=["headers"],
        JWT_ERROR_MESSAGE_KEY="message",
    )
    jwt.init_app(app)


@jwt.user_identity_loader
def _identity(user: User) -> str:
    return str(user.id)


@jwt.user_lookup_loader
def _load_user(_header: dict[str, Any], data: dict[str, Any]) -> User | None:
    user = g.pop("_token_user", None)  # read with the revocation check, one statement for both
    if user is None or user.id != int(data["sub"]):
        user = users.get(database.session(), user_id=int(data["sub"]))
    return user if user is not None and user.active else None


@jwt.additional_claims_loader
def _generation(identity: Any) -> dict[str, Any]:
    # Every token carries the user's token generation: a new one (password changed, user disabled)
    # ends all tokens issued before, refresh tokens included.
    return {"gen": identity.token_generation} if isinstance(identity, User) else {}


@jwt.token_in_blocklist_loader
def _revoked(_header: dict[str, Any], data: dict[str, Any]) -> bool:
    if request.endpoint == "auth.Revoke":
        return False  # logging out twice (or a login's refresh token after its access token) is fine
    user, revoked = users.token_holder(database.session(), user_id=int(data["sub"]), jti=data["jti"])
    g._token_user = user  # the user lookup that follows needs no second read
    if user is not None and data.get("gen", 0) != user.token_generation:
        return True
    return revoked


def _error(code: int, message: str) -> tuple[dict[str, Any], int, dict[str, str]]:
    return payload(code, message), code, {"WWW-Authenticate": "Bearer"}


@jwt.unauthorized_loader
def _missing(reason: str) -> Any:
    return _error(401, f"log in first: {reason}")


@jwt.invalid_token_loader
def _invalid(reason: str) -> Any:
    return _error(401, f"the token is not valid: {reason}")


@jwt.expired_token_loader
def _expired(_header: dict[str, Any], data: dict[str, Any]) -> Any:
    kind = data.get("type", "access")
    hint = "refresh it at /api/v1/auth/refresh" if kind == "access" else "log in again"
    return _error(401, f"the {kind} token has expired: {hint}")


@jwt.revoked_token_loader
def _revoked_error(_header: dict[str, Any], _data: dict[str, Any]) -> Any:
    return _error(401, "the token was revoked: log in again")


@jwt.user_lookup_error_loader
def _unknown_user(_header: dict[str, Any], _data: dict[str, Any]) -> Any:
    return _error(401, "the account behind this token no longer exists or is disabled")


@jwt.needs_fresh_token_loader
def _not_fresh(_header: dict[str, Any], _data: dict[str, Any]) -> Any:
    return _error(401, "this needs a fresh login")


def require_login() -> None:
    """Blueprint guard: every request must carry a valid access token."""
    verify_jwt_in_request()


def actor() -> Actor:
    """The actor for the logged-in user of this request."""
    return users.actor_for(current_user)


class LoginSchema(Schema):
    """Credentials."""

    email = fields.Email(required=True)
    password = Text(required=True, validate=validate.Length(min=1, max=1000), load_only=True)


class MeSchema(Schema):
    """The logged-in user."""

    id = fields.Integer(dump_only=True)
    email = Text(dump_only=True)
    full_name = Text(dump_only=True)
    role = fields.Enum(Role, by_value=True, dump_only=True)
    customer_id = Id(allow_none=True, dump_only=True)
    engineer_id = Id(allow_none=True, dump_only=True)
    locale = Text(
        allow_none=True,
        validate=validate.Length(max=40),
        metadata={"description": "saved language, e.g. en or zh_Hans; null follows the browser"},
    )


class MeReadSchema(MeSchema):
    """The logged-in user, and what their pages offer them."""

    quality_lead = fields.Method(
        "_quality_lead",
        dump_only=True,
        metadata={
            "type": "boolean",
            "description": "samples and scores quality reviews (admins and team leads)",
        },
    )

    def _quality_lead(self, user: User) -> bool:
        return quality.may_lead(database.session(), users.actor_for(user))


class MeUpdateSchema(Schema):
    """What users may change about themselves."""

    locale = Text(
        required=True,
        allow_none=True,
        validate=validate.Length(max=40),
        metadata={"description": "the language to read pages, the app and emails in (null: the browser's)"},
    )


class TokensSchema(Schema):
    """Tokens to send as ``Authorization: Bearer``."""

    access_token = Text()
    refresh_token = Text()
    token_type = Text()
    expires_in = fields.Integer(metadata={"description": "seconds the access token lives"})
    user = fields.Nested(MeSchema)


class AccessTokenSchema(Schema):
    """A new access token."""

    access_token = Text()
    token_type = Text()
    expires_in = fields.Integer()


class RevokedSchema(Schema):
    """What was revoked."""

    revoked = Text(metadata={"description": "token type: access or refresh"})
    jti = Text()


def _access_token(user: User, *, family: str) -> str:
    """An access token of the login whose refresh token is ``family``: revoking it ends that too."""
    token: str = create_access_token(
        identity=user, additional_claims={"role": user.role.value, "fam": family}
    )
    return token


def _expires_in() -> int:
    delta: timedelta = current_app.config["JWT_ACCESS_TOKEN_EXPIRES"]
    return int(delta.total_seconds())


@blp.route("/login")
class Login(View):
    """Exchange email and password for tokens."""

    @blp.arguments(LoginSchema)
    @blp.response(200, TokensSchema)
    @blp.alt_response(401, schema=ErrorSchema, description="Wrong credentials or disabled account")
    @blp.alt_response(429, schema=ErrorSchema, description="Too many logins (see Retry-After)")
    @blp.doc(security=[])
    def post(self, creds: dict[str, Any]) -> dict[str, Any]:
        """Log in."""
        user = users.authenticate(database.session(), email=creds["email"], password=creds["password"])
        refresh_token = create_refresh_token(identity=user)
        return {
            "access_token": _access_token(user, family=decode_token(refresh_token)["jti"]),
            "refresh_token": refresh_token,
            "token_type": "Bearer",
            "expires_in": _expires_in(),
            "user": user,
        }


@blp.route("/refresh")
class Refresh(View):
    """Get a new access token with the refresh token."""

    @jwt_required(refresh=True)
    @blp.response(200, AccessTokenSchema)
    @blp.alt_response(401, schema=ErrorSchema, description="Missing, expired or revoked refresh token")
    @blp.alt_response(429, schema=ErrorSchema, description="Too many refreshes (see Retry-After)")
    def post(self) -> dict[str, Any]:
        """Refresh the access token (send the refresh token as the bearer)."""
        user: User = current_user
        return {
            "access_token": _access_token(user, family=get_jwt()["jti"]),
            "token_type": "Bearer",
            "expires_in": _expires_in(),
        }


@blp.route("/revoke")
class Revoke(View):
    """Revoke the token sent (log out): an access token ends its login's refresh token too."""

    @jwt_required(verify_type=False)
    @blp.response(200, RevokedSchema)
    @blp.alt_response(401, schema=ErrorSchema, description="Missing or invalid token")
    def post(self) -> dict[str, Any]:
        """Revoke the bearer token, access or refresh."""
        claims = get_jwt()
        revoke(claims)
        # Expired revocations are forgotten by the housekeeping job: nothing is queued from here, so
        # logging out works while the queue is down.
        return {"revoked": claims["type"], "jti": claims["jti"]}


@blp.route("/me")
class Me(View):
    """Who am I."""

    @jwt_required()
    @blp.response(200, MeReadSchema)
    @blp.alt_response(401, schema=ErrorSchema, description="Missing or invalid token")
    def get(self) -> User:
        """The logged-in user."""
        user: User = current_user
        return user

    @jwt_required()
    @blp.arguments(MeUpdateSchema)
    @blp.response(200, MeSchema)
    @blp.alt_response(401, schema=ErrorSchema, description="Missing or invalid token")
    @blp.alt_response(422, schema=ErrorSchema, description="A language we have no catalog for")
    def patch(self, changes: dict[str, Any]) -> User:
        """Save my language."""
        return users.set_locale(database.session(), actor=actor(), locale=changes["locale"])


def revoke(claims: dict[str, Any]) -> None:
    """Put the token these claims come from on the revocation list (until it would expire), and
    for an access token from a login the refresh token of that login too."""
    session = database.session()
    users.revoke_token(
        session,
        jti=claims["jti"],
        user_id=int(claims["sub"]),
        token_type=claims["type"],
        expires_at=datetime.fromtimestamp(claims["exp"], tz=UTC),
    )
    family = claims.get("fam")
    if claims["type"] == "access" and isinstance(family, str) and family:
        lifetime: timedelta = current_app.config["JWT_REFRESH_TOKEN_EXPIRES"]
        users.revoke_token(
            session,
            jti=family[:64],
            user_id=int(claims["sub"]),
            token_type="refresh",
            expires_at=datetime.fromtimestamp(claims["iat"], tz=UTC) + lifetime,
        )
