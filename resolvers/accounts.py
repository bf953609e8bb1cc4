"""The reading platform's account center: registration with email verification, password
reset, sign-in for adults (email + password) and children (username + PIN), and the
session other services check.

- Teachers, parents and school admins register (a school admin with their school,
  ``resolvers/school.py``); the account is
  ``pending_verification`` and cannot sign in until the link mailed to it is followed.
  The mail goes through a durable job (``accounts.mail``) that makes the token when it
  sends, so a mail server that is down delays the mail instead of failing the
  registration, and no token is ever stored in plain text (only its SHA-256).
- A token is single use and expires (``verify_email_ttl_seconds``,
  ``reset_password_ttl_seconds``): unknown is 404 ``token_not_found``, used or expired
  is 410 ``token_expired``. A new mail does not void earlier unused ones; a password
  reset voids every other reset token of the account and ends all its sessions.
- ``resend_verification`` and ``forgot_password`` answer the same whether or not the
  address has an account (no enumeration).
- Limits (§39.5, held in PostgreSQL across instances): sign-in, registration and
  forgot-password share 5 requests per 15 minutes per address (429); 5 failed
  sign-ins of one account within 15 minutes lock it (423 ``account_locked``) until the
  oldest leaves the window, from whatever address; child logins 10 per 15 minutes per
  address, and 5 wrong PINs lock the child's sign-in the same way; verification mails
  3 an hour per address (429, counted whether or not the address has an account).
- Passwords: 8–128 characters with a letter and a digit, and not the email itself
  (422 ``weak_password``); argon2id, hashed in a thread.
"""

from __future__ import annotations

import hashlib
import math
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, update

from core import jobs, mail, ratelimit
from core.auth import passwords
from core.context import Context
from core.errors import (
    Conflict,
    DomainError,
    Forbidden,
    Gone,
    NotFound,
    RateLimited,
    Unauthenticated,
    Validation,
)
from core.jobs import PermanentFailure, job
from models.infra import RateLimitHits
from models.user import AccountToken, AuthSession, ChildCredential, User
from resolvers import portal_roles, roster, school, teacher_notifications
from resolvers.auth import CookieSession, normalize_email, start_cookie_session, user_by_email

VERIFY_EMAIL = "verify_email"
RESET_PASSWORD = "reset_password"
PURPOSES = (VERIFY_EMAIL, RESET_PASSWORD)
# The roles one may register with, as the reference spells them.
REGISTER_ROLES = {"teacher": portal_roles.TEACHER, "parent": portal_roles.PARENT,
                  "school_admin": portal_roles.SCHOOL_ADMIN}
RESEND_WINDOW_SECONDS = 3600
PASSWORD_MIN, PASSWORD_MAX = 8, 128
LOCKED = "Too many failed sign-in attempts. Please try again later."


class WeakPassword(DomainError):
    code = "weak_password"
    status = 422


class TokenNotFound(NotFound):
    code = "token_not_found"


class TokenExpired(Gone):
    code = "token_expired"


class AccountLocked(DomainError):
    code = "account_locked"
    status = 423

    def __init__(self, message: str, *, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class EmailTaken(Conflict):
    code = "email_taken"


class EmailNotVerified(Forbidden):
    code = "email_not_verified"


class InvalidCredentials(Unauthenticated):
    code = "invalid_credentials"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode(errors="surrogatepass")).hexdigest()


def _email_key(email: str) -> str:
    return hashlib.sha256(email.strip().lower().encode(errors="surrogatepass")).hexdigest()


def check_password(password: str, *, email: str | None = None) -> None:
    """WeakPassword unless 8–128 characters with a letter and a digit, other than the email."""
    problem = None
    if not PASSWORD_MIN <= len(password) <= PASSWORD_MAX:
        problem = f"Password must be between {PASSWORD_MIN} and {PASSWORD_MAX} characters"
    elif not (any(c.isalpha() for c in password) and any(c.isdigit() for c in password)):
        problem = "Password must contain at least one letter and one digit"
    elif email and password.strip().lower() == email.strip().lower():
        problem = "Password must not be the email address"
    if problem:
        raise WeakPassword(problem, details={"field": "password"})


async def _limit_address(ctx: Context, group: str, limit: int) -> None:
    await ratelimit.hit(ctx.db, key=f"reading-{group}:{ctx.client_ip}", limit=limit,
                        window_seconds=ctx.settings.reading_auth_window_seconds)


async def _count_failure(ctx: Context, key: str) -> None:
    """Count a failed sign-in of an account; AccountLocked once it is past the limit."""
    try:
        await ratelimit.hit(ctx.db, key=key, limit=ctx.settings.reading_login_lockout_failures,
                            window_seconds=ctx.settings.reading_auth_window_seconds)
    except RateLimited as exc:
        raise AccountLocked(LOCKED, retry_after=exc.retry_after) from None


async def _check_not_locked(ctx: Context, key: str) -> None:
    """AccountLocked while the account's failures fill the window (nothing is counted)."""
    async with ctx.db.session() as session:
        row = (await session.execute(select(RateLimitHits.hits, func.now()).where(
            RateLimitHits.key == key))).first()
    if row is None:
        return
    hits, now = row
    limit = ctx.settings.reading_login_lockout_failures
    window = timedelta(seconds=ctx.settings.reading_auth_window_seconds)
    recent = sorted(h for h in hits if h > now - window)
    if limit > 0 and len(recent) >= limit:
        wait = (recent[-limit] + window - now).total_seconds()
        raise AccountLocked(LOCKED, retry_after=max(1, math.ceil(wait)))


# ----------------------------------------------------------------- registration


async def register(ctx: Context, *, name: str, email: str, password: str, role: str,
                   school_name: str | None = None) -> User:
    """Create a teacher, parent or school admin account pending verification, and queue
    its verification mail."""
    await _limit_address(ctx, "auth", ctx.settings.reading_auth_rate_limit)
    if role not in REGISTER_ROLES:
        raise Validation("role must be one of teacher, parent, school_admin",
                         details={"field": "role"})
    name = name.strip()
    if not name:
        raise Validation("name must not be empty", details={"field": "name"})
    email = normalize_email(email)
    check_password(password, email=email)
    if not mail.configured(ctx.settings):
        # Nobody could ever verify the account: create nothing.
        raise mail.MailUnavailable("Email delivery is not configured; accounts cannot be "
                                   "verified")
    password_hash = await passwords.hash_password(password,
                                                   cost=ctx.settings.password_hash_cost)
    user = User(email=email, password_hash=password_hash, display_name=name,
                roles=[REGISTER_ROLES[role]], pending_verification=True,
                school_name=(school_name or "").strip() or None)
    try:
        async with ctx.db.transaction() as session:
            if await user_by_email(session, email) is not None:
                raise EmailTaken("An account with this email already exists",
                                 details={"field": "email"})
            session.add(user)
            await session.flush()
            if role == "school_admin":
                await school.create_for_admin(session, admin_id=user.id, name=(
                    school.school_name_for(name=name, school_name=school_name)))
            await jobs.enqueue(session, "accounts.mail",
                               {"user_id": str(user.id), "purpose": VERIFY_EMAIL})
    except DomainError:
        raise
    except Exception as exc:  # a concurrent registration won the unique index
        if "uq_users_email_lower" in str(exc):
            raise EmailTaken("An account with this email already exists",
                             details={"field": "email"}) from exc
        raise
    await jobs.notify_enqueued(ctx.services)
    return user


async def verify_email(ctx: Context, *, token: str) -> CookieSession:
    """Use a verification token: the account is verified and signed in."""
    user_id = await _use_token(ctx, token=token, purpose=VERIFY_EMAIL)
    async with ctx.db.transaction() as session:
        user = (await session.execute(
            update(User).where(User.id == user_id)
            .values(pending_verification=False,
                    email_verified_at=func.coalesce(User.email_verified_at, func.now()))
            .returning(User))).scalar_one()
    return await _sign_in(ctx, user)


async def resend_verification(ctx: Context, *, email: str) -> None:
    """Mail a new verification link when ``email`` has an account pending verification;
    the same answer otherwise."""
    await ratelimit.hit(ctx.db, key=f"reading-resend:{_email_key(email)}",
                        limit=ctx.settings.reading_resend_verification_per_hour,
                        window_seconds=RESEND_WINDOW_SECONDS)
    await _queue_mail_if(ctx, email=email, purpose=VERIFY_EMAIL)


async def forgot_password(ctx: Context, *, email: str) -> None:
    """Mail a password reset link when ``email`` has an active account; the same answer
    otherwise."""
    await _limit_address(ctx, "auth", ctx.settings.reading_auth_rate_limit)
    await _queue_mail_if(ctx, email=email, purpose=RESET_PASSWORD)


async def _queue_mail_if(ctx: Context, *, email: str, purpose: str) -> None:
    try:
        email = normalize_email(email)
    except Validation:
        return  # no account has it: the same answer
    async with ctx.db.transaction() as session:
        user = await user_by_email(session, email)
        wanted = user is not None and user.is_active and (
            user.pending_verification if purpose == VERIFY_EMAIL else True)
        if wanted:
            await jobs.enqueue(session, "accounts.mail",
                               {"user_id": str(user.id), "purpose": purpose})
    if wanted:
        await jobs.notify_enqueued(ctx.services)


async def reset_password(ctx: Context, *, token: str, password: str) -> None:
    """Set a new password with a reset token; every session of the account ends."""
    token_hash = hash_token(token)
    async with ctx.db.session() as session:
        row = (await session.execute(
            select(AccountToken, User.email).join(User, User.id == AccountToken.user_id)
            .where(AccountToken.token_hash == token_hash,
                   AccountToken.purpose == RESET_PASSWORD))).first()
    check_password(password, email=row[1] if row else None)
    password_hash = await passwords.hash_password(password,
                                                   cost=ctx.settings.password_hash_cost)
    user_id = await _use_token(ctx, token=token, purpose=RESET_PASSWORD)
    now = datetime.now(UTC)
    async with ctx.db.transaction() as session:
        # Following the mailed link proves the address too.
        await session.execute(update(User).where(User.id == user_id).values(
            password_hash=password_hash, pending_verification=False,
            email_verified_at=func.coalesce(User.email_verified_at, func.now())))
        await session.execute(update(AccountToken).where(
            AccountToken.user_id == user_id, AccountToken.purpose == RESET_PASSWORD,
            AccountToken.used_at.is_(None)).values(used_at=now))
        await session.execute(update(AuthSession).where(
            AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None))
            .values(revoked_at=now, revoked_reason="password_reset"))


async def _use_token(ctx: Context, *, token: str, purpose: str) -> uuid.UUID:
    """Mark a token used, once; its user. TokenNotFound or TokenExpired otherwise."""
    token_hash = hash_token(token)
    async with ctx.db.transaction() as session:
        user_id = (await session.execute(
            update(AccountToken).where(
                AccountToken.token_hash == token_hash, AccountToken.purpose == purpose,
                AccountToken.used_at.is_(None), AccountToken.expires_at > func.now())
            .values(used_at=func.now()).returning(AccountToken.user_id))).scalar_one_or_none()
        if user_id is not None:
            return user_id
        found = (await session.execute(select(AccountToken.token_hash).where(
            AccountToken.token_hash == token_hash,
            AccountToken.purpose == purpose))).scalar_one_or_none()
    if found is None:
        raise TokenNotFound("This link is not valid")
    raise TokenExpired("This link has expired or was already used")


# ----------------------------------------------------------------- sign-in


async def login(ctx: Context, *, email: str, password: str) -> CookieSession:
    """Sign an adult in with email and password (the error never says which was wrong)."""
    await _limit_address(ctx, "auth", ctx.settings.reading_auth_rate_limit)
    key = f"reading-login-failures:{_email_key(email)}"
    await _check_not_locked(ctx, key)
    async with ctx.db.session() as session:
        user = await user_by_email(session, email)
    ok = await passwords.verify_password(user.password_hash if user else None, password,
                                        cost=ctx.settings.password_hash_cost)
    if user is None or not ok:
        await _count_failure(ctx, key)
        raise InvalidCredentials("Invalid email or password")
    await ratelimit.reset(ctx.db, key=key)
    if not user.is_active:
        raise Forbidden("This account is deactivated")
    if user.pending_verification:
        raise EmailNotVerified("Verify your email address before signing in",
                               details={"state": "pending_verification"})
    return await _sign_in(ctx, user)


async def child_login(ctx: Context, *, username: str, pin: str) -> CookieSession:
    """Sign a child in with the username and PIN their teacher was given."""
    await _limit_address(ctx, "child-login", ctx.settings.reading_child_login_rate_limit)
    key = f"reading-pin-failures:{_email_key(username)}"
    await _check_not_locked(ctx, key)
    async with ctx.db.session() as session:
        row = (await session.execute(
            select(ChildCredential, User).join(User, User.id == ChildCredential.user_id)
            .where(func.lower(ChildCredential.username) == username.strip().lower()))).first()
    # An unknown username costs one check at the PINs' own cost too.
    ok = await passwords.verify_password(row[0].pin_hash if row else None, pin,
                                        cost=roster.PIN_COST)
    if row is None or not ok:
        await _count_failure(ctx, key)
        if row is not None:
            await _tell_teacher_if_locked(ctx, key, row[1].id)
        raise InvalidCredentials("Invalid username or PIN")
    await ratelimit.reset(ctx.db, key=key)
    user = row[1]
    if not user.is_active:
        raise Forbidden("This account is deactivated")
    return await _sign_in(ctx, user)


async def _tell_teacher_if_locked(ctx: Context, key: str, child_id: uuid.UUID) -> None:
    """The failure that locks a child's sign-in notifies the child's teacher."""
    try:
        await _check_not_locked(ctx, key)
    except AccountLocked:
        async with ctx.db.transaction() as session:
            await teacher_notifications.on_child_locked(session, child_id=child_id,
                                                        locked_at=datetime.now(UTC))


async def _sign_in(ctx: Context, user: User) -> CookieSession:
    return await start_cookie_session(ctx, user,
                                      ttl_seconds=ctx.settings.session_cookie_ttl_seconds)


# ----------------------------------------------------------------- the session


@dataclass(frozen=True)
class AccountSession:
    """Who a valid session belongs to, as the account center reports it."""

    user_id: uuid.UUID
    role: str
    name: str
    email: str | None
    # The school the account is on the staff of (resolvers/school.py), if any.
    school_id: int | None = None


# The reference's roles: child | teacher | parent | admin (school and platform admins).
_ROLES = ((portal_roles.CHILD, "child"), (portal_roles.TEACHER, "teacher"),
          (portal_roles.PARENT, "parent"), (portal_roles.SCHOOL_ADMIN, "admin"))


def role_of(user: User) -> str | None:
    """The account's role on the reading platform, as the reference names it."""
    for stored, named in _ROLES:
        if stored in user.roles:
            return named
    return "admin" if "PLATFORM_ADMIN" in user.roles else None


async def current_session(ctx: Context) -> AccountSession:
    """The signed-in account (401 without a session; 403 for an account with no role
    on the reading platform)."""
    ctx.viewer.require_user()
    user = ctx.viewer.user
    if user is None:
        raise Unauthenticated("Not authenticated")
    role = role_of(user)
    if role is None:
        raise Forbidden("This account has no role on the reading platform")
    return AccountSession(user_id=user.id, role=role, name=user.display_name,
                          email=user.email, school_id=await school.school_id_of(ctx, user.id))


# ----------------------------------------------------------------- mail


async def _issue_token(ctx_or_services, *, user_id: uuid.UUID, purpose: str,
                       ttl_seconds: int) -> str:
    token = secrets.token_urlsafe(32)
    async with ctx_or_services.db.transaction() as session:
        session.add(AccountToken(token_hash=hash_token(token), user_id=user_id,
                                 purpose=purpose,
                                 expires_at=datetime.now(UTC) + timedelta(seconds=ttl_seconds)))
    return token


def _mail(settings, user: User, purpose: str, token: str) -> mail.Mail:
    base = settings.account_center_url.rstrip("/")
    if purpose == VERIFY_EMAIL:
        hours = settings.verify_email_ttl_seconds // 3600
        return mail.Mail(to=user.email, subject="Confirm your email address", text=(
            f"Hello {user.display_name},\n\nConfirm your email address to start using "
            f"your account:\n\n{base}/verify-email?token={token}\n\n"
            f"The link works once, for {hours} hours. If you did not register, ignore "
            "this mail.\n"))
    minutes = settings.reset_password_ttl_seconds // 60
    return mail.Mail(to=user.email, subject="Reset your password", text=(
        f"Hello {user.display_name},\n\nSomeone asked to reset the password of this "
        f"account. Choose a new password here:\n\n{base}/reset-password?token={token}\n\n"
        f"The link works once, for {minutes} minutes. If it was not you, ignore this mail: "
        "your password stays as it is.\n"))


@job("accounts.mail")
async def send_account_mail(services, payload: dict) -> None:
    """Make a token for the account and mail its link (a failed delivery is tried again
    later by the job queue; each attempt makes its own token)."""
    purpose = payload.get("purpose")
    if purpose not in PURPOSES:
        raise PermanentFailure(f"unknown purpose {purpose!r}")
    async with services.db.session() as session:
        user = await session.get(User, uuid.UUID(payload["user_id"]))
    if user is None or not user.email or not user.is_active:
        return
    if purpose == VERIFY_EMAIL and not user.pending_verification:
        return  # verified meanwhile
    settings = services.settings
    ttl = (settings.verify_email_ttl_seconds if purpose == VERIFY_EMAIL
           else settings.reset_password_ttl_seconds)
    token = await _issue_token(services, user_id=user.id, purpose=purpose, ttl_seconds=ttl)
    await mail.send(settings, _mail(settings, user, purpose, token))
