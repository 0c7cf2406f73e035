"""Users who log in, and revoked tokens."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from dispatch.access import Role
from dispatch.db import Base, Timestamps, enum_type, utcnow


class User(Timestamps, Base):
    """Someone who logs in; a customer or engineer user is linked to that record."""

    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint("role <> 'customer' OR customer_id IS NOT NULL", name="customer_user_has_customer"),
        CheckConstraint("role <> 'engineer' OR engineer_id IS NOT NULL", name="engineer_user_has_engineer"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(enum_type(Role, "user_role"))
    active: Mapped[bool] = mapped_column(default=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), index=True)
    engineer_id: Mapped[int | None] = mapped_column(ForeignKey("engineers.id"), unique=True)
    last_login_at: Mapped[datetime | None]
    token_generation: Mapped[int] = mapped_column(default=0, server_default="0")
    """Tokens carry the generation they were issued in; changing the password or disabling the
    user starts a new one, which ends every token (refresh tokens too) issued before."""
    locale: Mapped[str | None] = mapped_column(String(16))
    """The language the user reads (pages, the app, emails); None: the browser's or the company's."""


class RevokedToken(Base):
    """A token (access or refresh) that may no longer be used, kept until it would expire."""

    __tablename__ = "revoked_tokens"

    jti: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_type: Mapped[str] = mapped_column(String(10))
    expires_at: Mapped[datetime] = mapped_column(index=True)
    revoked_at: Mapped[datetime] = mapped_column(default=utcnow)
