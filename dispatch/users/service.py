"""Users: passwords (argon2), login, management by admins, token revocation."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from functools import cache
from importlib import resources
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from dispatch import i18n
from dispatch.access import Actor, Role, require_role
from dispatch.customers.models import Customer
from dispatch.db import utcnow
from dispatch.engineers.models import Engineer
from dispatch.errors import Conflict, Invalid, NotFound, Unauthorized
from dispatch.events import service as events
from dispatch.i18n import _
from dispatch.listing import Page, Sort, paginate
from dispatch.users.models import RevokedToken, User

_hasher = PasswordHasher()
# Verified against when the email is unknown, so that a miss costs as much as a wrong password.
_DUMMY_HASH = _hasher.hash("not a real password")
MIN_PASSWORD_LENGTH = 10
_AUDITED = ("email", "full_name", "role", "active", "customer_id", "engineer_id")
_VIEW = events.fields(*_AUDITED)


def hash_password(password: str) -> str:
    """Hash a password with argon2id."""
    return _hasher.hash(password)


@cache
def common_passwords() -> frozenset[str]:
    """The commonest passwords and their stems, shipped with the project (lower case)."""
    text = resources.files("dispatch.users").joinpath("common_passwords.txt").read_text("utf-8")
    return frozenset(
        line.strip().lower() for line in text.splitlines() if line.strip() and not line.startswith("#")
    )


_PADDING = re.compile(r"[\d\W_]+$")


def check_password(password: str, *, email: str = "") -> None:
    """Refuse a password that is short, common, one character repeated, or the user's own email."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise Invalid(
            "password too short",
            errors={"password": [f"use at least {MIN_PASSWORD_LENGTH} characters"]},
        )
    lowered = password.strip().lower()
    if len(set(lowered)) == 1:
        raise Invalid(
            "This password is one character repeated.",
            errors={"password": ["Use a password that is not one character repeated."]},
        )
    email = email.strip().lower()
    stem = _PADDING.sub("", lowered)
    if email and (email in lowered or stem == email.split("@", 1)[0]):
        raise Invalid(
            "This password is the email address of its user.",
            errors={"password": ["Use a password that is not your email address."]},
        )
    if lowered in common_passwords() or stem in common_passwords():
        raise Invalid(
            "This password is one of the commonest ones, which attackers try first.",
            errors={"password": ["Choose a password that other people are unlikely to use."]},
        )


def actor_for(user: User) -> Actor:
    """The actor a logged-in user acts as."""
    return Actor(
        role=user.role,
        user_id=user.id,
        customer_id=user.customer_id,
        engineer_id=user.engineer_id,
    )


def authenticate(session: Session, *, email: str, password: str) -> User:
    """Return the active user with these credentials or raise :class:`Unauthorized`."""
    user = session.scalar(select(User).where(User.email == email.strip().lower()))
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        user = None
    if user is None or not user.active:
        raise Unauthorized("email or password is wrong, or the account is disabled")
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = utcnow()
    return user


def get(session: Session, *, user_id: int) -> User | None:
    """Return the user or None (no access check: used by token loading)."""
    return session.get(User, user_id)


def get_or_raise(session: Session, *, actor: Actor, user_id: int) -> User:
    """Return a user for an admin, or the actor's own record; else raise."""
    if actor.user_id != user_id:
        require_role(
            actor, {Role.ADMIN}, to=_("Your role (%(role)s) may not read other users (allowed: %(allowed)s).")
        )
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(_("user %(user_id)s not found", user_id=user_id))
    return user


USER_SORT = Sort(
    {
        "id": User.id,
        "email": User.email,
        "full_name": User.full_name,
        "created_at": User.created_at,
    },
    default="email",
)


def list_users(
    session: Session,
    *,
    actor: Actor,
    role: Role | None = None,
    active: bool | None = None,
    q: str | None = None,
    sort: str | None = None,
    page: int = 1,
    page_size: int = 50,
) -> Page[User]:
    """List users (admins only)."""
    require_role(actor, {Role.ADMIN}, to=_("Your role (%(role)s) may not list users (allowed: %(allowed)s)."))
    stmt = select(User)
    if role is not None:
        stmt = stmt.where(User.role == role)
    if active is not None:
        stmt = stmt.where(User.active == active)
    if q:
        like = f"%{q.lower()}%"
        stmt = stmt.where(or_(User.email.ilike(like), User.full_name.ilike(like)))
    return paginate(session, USER_SORT.apply(stmt, sort), page=page, page_size=page_size)


def _check_links(
    session: Session,
    *,
    role: Role,
    customer_id: int | None,
    engineer_id: int | None,
    user_id: int | None,
) -> None:
    errors: dict[str, list[str]] = {}
    if role is Role.CUSTOMER and customer_id is None:
        errors["customer_id"] = ["a customer user must be linked to a customer"]
    if role is Role.ENGINEER and engineer_id is None:
        errors["engineer_id"] = ["an engineer user must be linked to an engineer"]
    if role is not Role.CUSTOMER and customer_id is not None:
        errors["customer_id"] = ["only customer users are linked to a customer"]
    if role is not Role.ENGINEER and engineer_id is not None:
        errors["engineer_id"] = ["only engineer users are linked to an engineer"]
    if customer_id is not None and session.get(Customer, customer_id) is None:
        errors["customer_id"] = [f"customer {customer_id} does not exist"]
    if engineer_id is not None:
        if session.get(Engineer, engineer_id) is None:
            errors["engineer_id"] = [f"engineer {engineer_id} does not exist"]
        else:
            taken = session.scalar(
                select(User.id).where(User.engineer_id == engineer_id, User.id != (user_id or 0))
            )
            if taken is not None:
                errors["engineer_id"] = [f"engineer {engineer_id} already has a login (user {taken})"]
    if errors:
        raise Invalid("the user's role and links do not fit", errors=errors)


def create(
    session: Session,
    *,
    actor: Actor,
    email: str,
    full_name: str,
    password: str,
    role: Role,
    customer_id: int | None = None,
    engineer_id: int | None = None,
    active: bool = True,
) -> User:
    """Create a user (admins only)."""
    require_role(
        actor, {Role.ADMIN}, to=_("Your role (%(role)s) may not create users (allowed: %(allowed)s).")
    )
    email = email.strip().lower()
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        raise Conflict(
            _("a user with email %(email)s already exists", email=email), errors={"email": ["already used"]}
        )
    check_password(password, email=email)
    _check_links(session, role=role, customer_id=customer_id, engineer_id=engineer_id, user_id=None)
    user = User(
        email=email,
        full_name=full_name,
        password_hash=hash_password(password),
        role=role,
        customer_id=customer_id,
        engineer_id=engineer_id,
        active=active,
    )
    session.add(user)
    session.flush()
    events.record(
        session,
        actor=actor,
        entity_type="user",
        entity_id=user.id,
        action="created",
        after=events.snapshot(user, _AUDITED),
    )
    return user


def update(session: Session, *, actor: Actor, user_id: int, changes: Mapping[str, Any]) -> User:
    """Change a user's name, role, links, active flag or password (admins only)."""
    require_role(
        actor, {Role.ADMIN}, to=_("Your role (%(role)s) may not change users (allowed: %(allowed)s).")
    )
    user = get_or_raise(session, actor=actor, user_id=user_id)
    email = str(changes.get("email", user.email)).strip().lower()
    clash = session.scalar(select(User.id).where(User.email == email, User.id != user.id))
    if clash is not None:
        raise Conflict(
            _("a user with email %(email)s already exists", email=email), errors={"email": ["already used"]}
        )
    new = {
        name: changes.get(name, getattr(user, name))
        for name in ("role", "active", "customer_id", "engineer_id")
    }
    if user.id == actor.user_id and (new["role"] is not Role.ADMIN or not new["active"]):
        raise Conflict("you cannot take away your own admin role or disable yourself")
    # Check everything before touching the user, so that no half-made change is flushed.
    _check_links(
        session,
        role=new["role"],
        customer_id=new["customer_id"],
        engineer_id=new["engineer_id"],
        user_id=user.id,
    )
    if changes.get("password"):
        check_password(str(changes["password"]), email=email)
    disabled = user.active and not new["active"]
    with events.recording(session, actor=actor, entity=user, entity_type="user", view=_VIEW) as payload:
        user.email = email
        for name in ("full_name", "role", "active", "customer_id", "engineer_id"):
            if name in changes:
                setattr(user, name, changes[name])
        if changes.get("password"):
            user.password_hash = hash_password(str(changes["password"]))
            payload["password_changed"] = True
        if changes.get("password") or disabled:
            end_sessions(user)
            payload["sessions_ended"] = True
    return user


def end_sessions(user: User) -> None:
    """End every token issued to the user so far, refresh tokens included (a new generation)."""
    user.token_generation += 1


def revoke_token(session: Session, *, jti: str, user_id: int, token_type: str, expires_at: datetime) -> None:
    """Mark a token as revoked until it would have expired anyway (idempotent)."""
    if session.get(RevokedToken, jti) is None:
        session.add(RevokedToken(jti=jti, user_id=user_id, token_type=token_type, expires_at=expires_at))
        session.flush()


def token_holder(session: Session, *, user_id: int, jti: str) -> tuple[User | None, bool]:
    """The token's user (None if gone) and whether the token was revoked, in one statement."""
    row = session.execute(
        select(User, RevokedToken.jti)
        .outerjoin(RevokedToken, RevokedToken.jti == jti)
        .where(User.id == user_id)
    ).first()
    if row is None:
        return None, False  # no user: the token is refused by the user lookup, revoked or not
    return row[0], row[1] is not None


def purge_expired_revocations(session: Session) -> int:
    """Forget revocations of tokens that have expired by now; returns how many."""
    result = session.execute(delete(RevokedToken).where(RevokedToken.expires_at < utcnow()))
    return int(getattr(result, "rowcount", 0) or 0)


def set_locale(session: Session, *, actor: Actor, locale: str | None) -> User:
    """Save the language the logged-in user reads (None: follow the browser and the company default)."""
    user = session.get(User, actor.user_id)
    if user is None:
        raise NotFound(_("your account no longer exists"))
    chosen = None
    if locale:
        chosen = i18n.normalize(locale)
        if chosen is None:
            raise Invalid(
                _(
                    "we do not have the language %(locale)s: choose one of %(available)s",
                    locale=locale[:40],
                    available=", ".join(i18n.available_locales()),
                ),
                errors={"locale": ["unknown language"]},
            )
    user.locale = chosen
    session.flush()
    return user
