"""Identity: one User across every face, its sessions, API keys and secrets."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import (
    ARRAY,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, Timestamps, new_id


class User(Timestamps, Base):
    """A person, whichever face they signed up through."""

    __tablename__ = "users"
    __table_args__ = (Index("uq_users_email_lower", func.lower(text("email")), unique=True),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    email: Mapped[str | None] = mapped_column(String(320))
    password_hash: Mapped[str | None] = mapped_column(Text)
    display_name: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    avatar_url: Mapped[str] = mapped_column(Text, nullable=False, default="")
    github_id: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    roles: Mapped[list[str]] = mapped_column(
        ARRAY(String(40)), nullable=False, server_default=text("'{}'::varchar[]"))
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The integer id the course platform (2Sigma face) has always shown.
    number: Mapped[int] = mapped_column(BigInteger, Identity(always=False), unique=True,
                                        nullable=False)
    is_active: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("true"))
    locale: Mapped[str] = mapped_column(String(35), nullable=False, server_default="en")
    time_zone: Mapped[str] = mapped_column(String(64), nullable=False, server_default="UTC")
    # Days in a row with learning activity, counted in the user's time zone.
    current_streak_days: Mapped[int] = mapped_column(Integer, nullable=False,
                                                     server_default=text("0"))
    last_activity_date: Mapped[date | None] = mapped_column(Date)
    # Registered through the reading platform's account center and not yet verified:
    # such an account cannot sign in until its email is confirmed.
    pending_verification: Mapped[bool] = mapped_column(Boolean, nullable=False,
                                                       server_default=text("false"))
    email_verified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The school a teacher or school admin named when registering.
    school_name: Mapped[str | None] = mapped_column(String(200))


class AuthSession(Base):
    """One sign-in. Access tokens name it; revoking it logs every token of it out."""

    __tablename__ = "auth_sessions"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_reason: Mapped[str | None] = mapped_column(String(40))
    user_agent: Mapped[str | None] = mapped_column(Text)


class RefreshToken(Base):
    """A refresh token of a session's rotation family; each may be used once."""

    __tablename__ = "refresh_tokens"

    jti: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    session_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("auth_sessions.id", ondelete="CASCADE"), nullable=False, index=True)
    issued_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ApiKey(Base):
    """A machine credential (``sk_``/``gsk_`` prefix); only its hash is stored."""

    __tablename__ = "api_keys"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    prefix: Mapped[str] = mapped_column(String(8), nullable=False)
    secret_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    last4: Mapped[str] = mapped_column(String(4), nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    scopes: Mapped[list[str]] = mapped_column(
        ARRAY(String(80)), nullable=False, server_default=text("'{}'::varchar[]"))
    user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True)
    owner_ref: Mapped[str | None] = mapped_column(String(200))
    # A ``gsk_`` key belongs to an organization's guest instead of a user.
    guest_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("organization_guests.id", ondelete="CASCADE"), index=True)
    rate_limit: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("120"))
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class UserSecret(Timestamps, Base):
    """A third-party secret of a user (an Anthropic key, ...), encrypted at rest."""

    __tablename__ = "user_secrets"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(40), primary_key=True)
    ciphertext: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    preview: Mapped[str] = mapped_column(String(40), nullable=False)


class AccountToken(Base):
    """A single-use token mailed to a user (verify the email, reset the password).

    Only its SHA-256 is stored; the mail holds the token itself."""

    __tablename__ = "account_tokens"
    __table_args__ = (Index("ix_account_tokens_user_purpose", "user_id", "purpose"),)

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    # verify_email | reset_password
    purpose: Mapped[str] = mapped_column(String(20), nullable=False)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ChildCredential(Timestamps, Base):
    """How a child signs in: a username (unique case-insensitively) and a PIN hashed with
    argon2id. The PIN itself is shown once, to the teacher who created it."""

    __tablename__ = "child_credentials"
    __table_args__ = (Index("uq_child_credentials_username_lower", func.lower(text("username")),
                            unique=True),)

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    username: Mapped[str] = mapped_column(String(64), nullable=False)
    pin_hash: Mapped[str] = mapped_column(Text, nullable=False)
