"""Accounts and sign-in: register, login, refresh, logout, GitHub, the Anthropic key.

Every face and the GraphQL schema call these; each renders the results in
its own shape.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from core import github_oauth, ratelimit
from core.auth import passwords, secrets_box, tokens
from core.auth.viewer import Viewer
from core.context import Context
from core.errors import Conflict, Forbidden, NotConfigured, Unauthenticated, Validation
from core.github_oauth import GitHubProfile
from models.course import (
    GRADES,
    LEARNING_GOALS,
    STUDY_LEVELS,
    Subject,
    UserProfile,
    UserSubjectPreference,
)
from models.user import AuthSession, RefreshToken, User, UserSecret
from resolvers.profile import check_locale, check_time_zone

PASSWORD_MIN = 8
PASSWORD_MAX = 128
ANTHROPIC_KEY = "anthropic_api_key"


@dataclass(frozen=True)
class SignIn:
    """A user signed in: the user and a fresh token pair for one session."""

    user: User
    session_id: uuid.UUID
    access_token: str
    access_expires_at: datetime
    refresh_token: str
    refresh_expires_at: datetime


def normalize_email(email: str) -> str:
    """The address as stored; raise Validation when it is not an email address."""
    try:
        return validate_email(email.strip(), check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise Validation(f"Invalid email address: {exc}", details={"field": "email"}) from exc


def check_password_rules(password: str, *, require_letter_and_digit: bool = False) -> None:
    """8 to 128 characters; the course platform also wants a letter and a digit."""
    if not PASSWORD_MIN <= len(password) <= PASSWORD_MAX:
        raise Validation(f"Password must be between {PASSWORD_MIN} and {PASSWORD_MAX} characters",
                         details={"field": "password"})
    if require_letter_and_digit and not (any(c.isalpha() for c in password)
                                         and any(c.isdigit() for c in password)):
        raise Validation("Password must contain at least one letter and one digit",
                         details={"field": "password"})


@dataclass(frozen=True)
class OnboardingProfile:
    """Onboarding answers given at sign-up; each one optional."""

    date_of_birth: date | None = None
    learning_goal: str | None = None
    study_level: str | None = None
    grade: str | None = None


def check_profile(profile: OnboardingProfile) -> None:
    """Raise Validation when an answer is not one of the known values."""
    for field, value, allowed in (("learning_goal", profile.learning_goal, LEARNING_GOALS),
                                  ("study_level", profile.study_level, STUDY_LEVELS),
                                  ("grade", profile.grade, GRADES)):
        if value is not None and value not in allowed:
            raise Validation(f"{field} must be one of {', '.join(allowed)}",
                             details={"field": field})
    if profile.date_of_birth is not None and profile.date_of_birth >= datetime.now(UTC).date():
        raise Validation("date_of_birth must be in the past", details={"field": "date_of_birth"})


async def is_email_available(ctx: Context, *, email: str) -> bool:
    """Whether nobody has registered ``email`` yet (compared case-insensitively)."""
    return await get_by_email(ctx, email=normalize_email(email)) is None


LOCKED_OUT = "Too many failed sign-in attempts for this account. Please try again later."


async def _limit(ctx: Context, action: str, limit: int) -> None:
    await ratelimit.hit(ctx.db, key=f"{action}:{ctx.client_ip}", limit=limit,
                        window_seconds=ctx.settings.rate_limit_window_seconds)


async def count_sign_in(ctx: Context, *, account: str, action: str = "login") -> str:
    """Count one sign-in attempt against the client address and against ``account`` (an
    email, a facilitator id: compared case-insensitively), whatever the address; raise
    RateLimited past either limit. Return the account's key: a successful sign-in
    clears it with ``sign_in_succeeded``, so only a run of failures locks the account
    (whether or not it exists) until the oldest leaves the window."""
    settings = ctx.settings
    await _limit(ctx, action, settings.rate_limit_login)
    # Hashed: the key has a fixed length whatever was typed, and names no address.
    key = f"{action}-account:" + hashlib.sha256(
        account.strip().lower().encode(errors="surrogatepass")).hexdigest()
    await ratelimit.hit(ctx.db, key=key, limit=settings.login_lockout_failures,
                        window_seconds=settings.login_lockout_window_seconds, message=LOCKED_OUT)
    return key


async def sign_in_succeeded(ctx: Context, *, key: str) -> None:
    """Forget the failed attempts counted against an account that just signed in."""
    await ratelimit.reset(ctx.db, key=key)


async def user_by_email(session: AsyncSession, email: str) -> User | None:
    """The user with this email in ``session``, compared case-insensitively."""
    return (await session.execute(
        select(User).where(func.lower(User.email) == email.strip().lower())
    )).scalar_one_or_none()


async def get_by_email(ctx: Context, *, email: str) -> User | None:
    """The user with this email, compared case-insensitively."""
    async with ctx.db.session() as session:
        return await user_by_email(session, email)


async def _start_session(ctx: Context, user: User, *, session_ttl: int | None = None) -> SignIn:
    """Open a sign-in session with its first access and refresh tokens."""
    settings = ctx.settings
    session_ttl = session_ttl or settings.refresh_token_ttl_seconds
    now = datetime.now(UTC)
    session_id = uuid.uuid4()
    async with ctx.db.transaction() as session:
        session.add(AuthSession(id=session_id, user_id=user.id, user_agent=ctx.user_agent,
                                expires_at=now + timedelta(seconds=session_ttl)))
        await session.flush()
        sign_in = _issue_pair(ctx, user, session_id, session)
        await session.execute(update(User).where(User.id == user.id).values(last_login_at=now))
    # The rest of this request acts as the user who just signed in.
    ctx.viewer = Viewer(kind="user", user_id=user.id, session_id=session_id,
                        roles=frozenset(user.roles), user=user)
    return sign_in


def _issue_pair(ctx: Context, user: User, session_id: uuid.UUID, session) -> SignIn:
    settings = ctx.settings
    access, access_claims = tokens.issue(
        settings, user_id=user.id, session_id=session_id, token_type=tokens.ACCESS,
        ttl_seconds=settings.access_token_ttl_seconds)
    refresh, refresh_claims = tokens.issue(
        settings, user_id=user.id, session_id=session_id, token_type=tokens.REFRESH,
        ttl_seconds=settings.refresh_token_ttl_seconds)
    session.add(RefreshToken(jti=refresh_claims.jti, session_id=session_id,
                             expires_at=datetime.fromtimestamp(refresh_claims.expires_at, UTC)))
    return SignIn(user=user, session_id=session_id, access_token=access,
                  access_expires_at=datetime.fromtimestamp(access_claims.expires_at, UTC),
                  refresh_token=refresh,
                  refresh_expires_at=datetime.fromtimestamp(refresh_claims.expires_at, UTC))


def session_cookie_token(ctx: Context, sign_in: SignIn) -> tuple[str, int]:
    """A cookie-borne access token for ``sign_in``'s session and its max-age.

    Cookie faces have no refresh step, so their access token lives as long as
    the cookie; it stays revocable because it names the session.
    """
    ttl = ctx.settings.session_cookie_ttl_seconds
    token, _ = tokens.issue(ctx.settings, user_id=sign_in.user.id, session_id=sign_in.session_id,
                            token_type=tokens.ACCESS, ttl_seconds=ttl)
    return token, ttl


@dataclass(frozen=True)
class CookieSession:
    """A sign-in session carried by a cookie: its access token, lifetime and end."""

    session_id: uuid.UUID
    token: str
    max_age: int
    expires_at: datetime


async def start_cookie_session(ctx: Context, user: User, *, ttl_seconds: int) -> CookieSession:
    """Open a sign-in session for ``user`` with one access token that lives as long as it
    (cookie faces have no refresh step; the token stays revocable through its session)."""
    now = datetime.now(UTC)
    session_id = uuid.uuid4()
    async with ctx.db.transaction() as session:
        session.add(AuthSession(id=session_id, user_id=user.id, user_agent=ctx.user_agent,
                                expires_at=now + timedelta(seconds=ttl_seconds)))
        await session.execute(update(User).where(User.id == user.id).values(last_login_at=now))
    token, claims = tokens.issue(ctx.settings, user_id=user.id, session_id=session_id,
                                 token_type=tokens.ACCESS, ttl_seconds=ttl_seconds)
    ctx.viewer = Viewer(kind="user", user_id=user.id, session_id=session_id,
                        roles=frozenset(user.roles), user=user)
    return CookieSession(session_id=session_id, token=token, max_age=ttl_seconds,
                         expires_at=datetime.fromtimestamp(claims.expires_at, UTC))


async def session_expires_at(ctx: Context) -> datetime | None:
    """When the viewer's sign-in session ends (None without one)."""
    if ctx.viewer.session_id is None:
        return None
    async with ctx.db.session() as session:
        return (await session.execute(select(AuthSession.expires_at).where(
            AuthSession.id == ctx.viewer.session_id))).scalar_one_or_none()


async def register(ctx: Context, *, email: str, password: str,
                   display_name: str | None = None, locale: str | None = None,
                   time_zone: str | None = None, profile: OnboardingProfile | None = None,
                   subject_ids: Sequence[int] | None = None,
                   require_letter_and_digit: bool = False) -> SignIn:
    """Create an account with email and password (and onboarding answers) and sign it in."""
    await _limit(ctx, "register", ctx.settings.rate_limit_register)
    check_password_rules(password, require_letter_and_digit=require_letter_and_digit)
    email = normalize_email(email)
    if locale is not None:
        check_locale(locale)
    if time_zone is not None:
        check_time_zone(time_zone)
    if profile is not None:
        check_profile(profile)
    if await get_by_email(ctx, email=email) is not None:
        raise Conflict("An account with this email already exists")
    password_hash = await passwords.hash_password(
        password, cost=ctx.settings.password_hash_cost)
    user = User(email=email, password_hash=password_hash,
                display_name=(display_name or "").strip() or email.split("@")[0], roles=[],
                locale=locale or "en", time_zone=time_zone or "UTC")
    try:
        async with ctx.db.transaction() as session:
            session.add(user)
            await session.flush()
            if profile is not None:
                session.add(UserProfile(user_id=user.id, date_of_birth=profile.date_of_birth,
                                        learning_goal=profile.learning_goal,
                                        study_level=profile.study_level, grade=profile.grade))
            if subject_ids:
                await _add_subject_preferences(session, user.id, subject_ids)
            await _join_as_former_guest(session, user)
    except Exception as exc:  # a concurrent registration won the unique index
        if "uq_users_email_lower" in str(exc):
            raise Conflict("An account with this email already exists") from exc
        raise
    return await _start_session(ctx, user)


async def _join_as_former_guest(session, user: User) -> None:
    # Organizations import this module (for normalize_email): imported here, not above.
    from resolvers.organization import join_as_former_guest

    await join_as_former_guest(session, user_id=user.id, email=user.email)


async def _add_subject_preferences(session, user_id: uuid.UUID, subject_ids: Sequence[int]) -> None:
    wanted = sorted(set(subject_ids))
    found = set((await session.execute(
        select(Subject.id).where(Subject.id.in_(wanted)))).scalars())
    missing = [i for i in wanted if i not in found]
    if missing:
        raise Validation(f"Unknown subject ids: {', '.join(map(str, missing))}",
                         details={"field": "subject_preferences", "missing": missing})
    session.add_all(UserSubjectPreference(user_id=user_id, subject_id=i) for i in wanted)


async def login(ctx: Context, *, email: str, password: str) -> SignIn:
    """Check email and password; the error never tells which of the two was wrong.
    Limited per client address and per account (``count_sign_in``)."""
    account = await count_sign_in(ctx, account=email)
    user = await get_by_email(ctx, email=email)
    ok = await passwords.verify_password(user.password_hash if user else None, password,
                                        cost=ctx.settings.password_hash_cost)
    if user is None or not ok:
        raise Unauthenticated("Invalid email or password")
    await sign_in_succeeded(ctx, key=account)
    if not user.is_active:
        raise Forbidden("Inactive user")
    return await _start_session(ctx, user)


async def refresh(ctx: Context, *, refresh_token: str) -> SignIn:
    """Rotate a refresh token; a reused one revokes its whole session (RFC 9700)."""
    claims = tokens.decode(ctx.settings, refresh_token, token_type=tokens.REFRESH)
    now = datetime.now(UTC)
    async with ctx.db.transaction() as session:
        row = (await session.execute(
            select(RefreshToken, AuthSession, User)
            .join(AuthSession, AuthSession.id == RefreshToken.session_id)
            .join(User, User.id == AuthSession.user_id)
            .where(RefreshToken.jti == claims.jti)
            .with_for_update(of=RefreshToken, key_share=True))).first()
        if row is None:
            raise Unauthenticated("Invalid refresh token")
        token_row, auth_session, user = row
        if auth_session.revoked_at is not None or auth_session.expires_at <= now:
            raise Unauthenticated("Session has ended")
        if not user.is_active:
            raise Forbidden("Inactive user")
        if token_row.used_at is not None:
            auth_session.revoked_at = now
            auth_session.revoked_reason = "refresh_token_reuse"
            reused = True
        else:
            token_row.used_at = now
            reused = False
            sign_in = _issue_pair(ctx, user, auth_session.id, session)
    if reused:
        raise Unauthenticated("Refresh token reuse detected; the session has been revoked")
    return sign_in


async def logout(ctx: Context) -> None:
    """End the viewer's session; every token of it stops working."""
    if ctx.viewer.session_id is None:
        return
    async with ctx.db.transaction() as session:
        await session.execute(
            update(AuthSession).where(AuthSession.id == ctx.viewer.session_id,
                                      AuthSession.revoked_at.is_(None))
            .values(revoked_at=datetime.now(UTC), revoked_reason="logout"))


async def sign_in_with_github(ctx: Context, *, profile: GitHubProfile) -> SignIn:
    """Upsert the user behind a GitHub profile and sign it in.

    A user is matched by GitHub id, then by the verified email GitHub reports,
    so that someone who registered with a password can later use GitHub. A
    deactivated user is refused (403 "Inactive user"), as by ``login``.
    """
    async with ctx.db.transaction() as session:
        user = (await session.execute(
            select(User).where(User.github_id == profile.github_id))).scalar_one_or_none()
        if user is None and profile.email:
            user = await user_by_email(session, profile.email)
        if user is not None and not user.is_active:
            raise Forbidden("Inactive user")  # as login refuses it; nothing is linked
        if user is None:
            user = User(email=profile.email, roles=[], display_name="", avatar_url="")
            session.add(user)
            if profile.email:
                await session.flush()
                await _join_as_former_guest(session, user)
        user.github_id = profile.github_id
        user.display_name = user.display_name or profile.login or profile.name or ""
        if profile.avatar_url:
            user.avatar_url = profile.avatar_url
    return await _start_session(ctx, user)


async def get_anthropic_key(ctx: Context) -> str | None:
    """The viewer's stored Anthropic key in plain text (for the LLM gateway only)."""
    user_id = ctx.viewer.require_user()
    async with ctx.db.session() as session:
        row = await session.get(UserSecret, (user_id, ANTHROPIC_KEY))
    return secrets_box.decrypt(ctx.settings.secret_key, row.ciphertext) if row else None


async def get_anthropic_key_preview(ctx: Context) -> str | None:
    """The masked preview of the viewer's Anthropic key, or None when none is stored."""
    user_id = ctx.viewer.require_user()
    async with ctx.db.session() as session:
        row = await session.get(UserSecret, (user_id, ANTHROPIC_KEY))
    return row.preview if row else None


@dataclass(frozen=True)
class Me:
    """The signed-in user and whether they stored an Anthropic key."""

    user: User
    has_api_key: bool


async def me(ctx: Context) -> Me:
    """The viewer's own account (Unauthenticated without a signed-in user)."""
    user_id = ctx.viewer.require_user()
    if ctx.viewer.user is None:
        raise Unauthenticated("Not authenticated")
    return Me(user=ctx.viewer.user,
              has_api_key=await has_anthropic_key(ctx, user_id=user_id))


async def has_anthropic_key(ctx: Context, *, user_id: uuid.UUID) -> bool:
    async with ctx.db.session() as session:
        return await session.get(UserSecret, (user_id, ANTHROPIC_KEY)) is not None


async def set_anthropic_key(ctx: Context, *, api_key: str) -> str:
    """Store the viewer's Anthropic key encrypted; return its masked preview."""
    user_id = ctx.viewer.require_user()
    api_key = api_key.strip()
    if not api_key:
        raise Validation("API key must not be empty", details={"field": "apiKey"})
    if len(api_key) > 500:
        raise Validation("API key is too long", details={"field": "apiKey"})
    preview = secrets_box.mask(api_key)
    ciphertext = secrets_box.encrypt(ctx.settings.secret_key, api_key)
    # One statement: concurrent first saves cannot both insert (the last one wins).
    statement = insert(UserSecret).values(user_id=user_id, kind=ANTHROPIC_KEY,
                                          ciphertext=ciphertext, preview=preview)
    statement = statement.on_conflict_do_update(
        index_elements=[UserSecret.user_id, UserSecret.kind],
        set_={"ciphertext": statement.excluded.ciphertext,
              "preview": statement.excluded.preview, "updated_at": func.now()})
    async with ctx.db.transaction() as session:
        await session.execute(statement)
    await ctx.broker.publish(user_topic(user_id), {"kind": "ANTHROPIC_KEY_SET", "preview": preview})
    return preview


async def delete_anthropic_key(ctx: Context) -> None:
    """Forget the viewer's Anthropic key; succeeds when there is none."""
    user_id = ctx.viewer.require_user()
    async with ctx.db.transaction() as session:
        row = await session.get(UserSecret, (user_id, ANTHROPIC_KEY))
        if row is None:
            return
        await session.delete(row)
    await ctx.broker.publish(user_topic(user_id),
                             {"kind": "ANTHROPIC_KEY_DELETED", "preview": None})


async def validate_anthropic_key(ctx: Context, *, api_key: str) -> tuple[bool, str | None]:
    """Ask the AI service whether ``api_key`` works, without storing it."""
    ctx.viewer.require_user()
    if not api_key.strip():
        return False, "Invalid API key"
    return await ctx.llm.validate_key(api_key.strip())


def user_topic(user_id: uuid.UUID) -> str:
    """The pub/sub topic of events about one user's account."""
    return f"user:{user_id}"


async def github_authorize_url(ctx: Context, *, redirect: str | None, callback_url: str) -> str:
    """Where to send the browser to start GitHub sign-in."""
    if not ctx.settings.github_configured:
        raise NotConfigured("GitHub OAuth is not configured")
    state = github_oauth.sign_state(secret_key=ctx.settings.secret_key,
                                    redirect=github_oauth.safe_redirect_path(redirect))
    return github_oauth.authorize_url(ctx.settings, state=state, redirect_uri=callback_url)


async def github_callback(ctx: Context, *, code: str | None, state: str | None,
                          callback_url: str) -> tuple[SignIn, str]:
    """Finish GitHub sign-in: verify state, exchange the code, sign the user in."""
    if not ctx.settings.github_configured:
        raise NotConfigured("GitHub OAuth is not configured")
    if not code or not state:
        raise Validation("Missing code or state")
    redirect = github_oauth.verify_state(secret_key=ctx.settings.secret_key, state=state,
                                         ttl_seconds=ctx.settings.oauth_state_ttl_seconds)
    profile = await github_oauth.exchange_code(ctx.settings, code=code, redirect_uri=callback_url)
    sign_in = await sign_in_with_github(ctx, profile=profile)
    return sign_in, github_oauth.safe_redirect_path(redirect)


async def viewer_events(ctx: Context) -> AsyncIterator[dict]:
    """Events about the viewer's account as they are published, from any instance."""
    user_id = ctx.viewer.require_user()
    async for event in ctx.broker.subscribe(user_topic(user_id)):
        yield event
