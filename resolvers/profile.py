"""A learner's own settings and onboarding answers: name, locale, time zone, profile.

Onboarding answers and subject preferences are private: only the user themself and platform
admins read them (``get_profile`` / ``get_subject_ids`` answer None for anyone else).
"""

from __future__ import annotations

import re
import uuid
import zoneinfo
from functools import cache

from sqlalchemy import func, literal_column, select
from sqlalchemy.dialects.postgresql import aggregate_order_by

from core.context import Context
from core.errors import Validation
from loaders.profile import SubjectIdsByUserIdLoader, UserProfileByUserIdLoader
from loaders.user import UserByIdLoader
from models.course import UserProfile, UserSubjectPreference
from models.user import User
from resolvers.access import is_self_or_admin

FULL_NAME_MAX = 200
_LOCALE = re.compile(r"^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8}){0,3}$")


@cache
def _time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def check_time_zone(time_zone: str) -> None:
    """Raise Validation unless ``time_zone`` is an IANA zone name such as Europe/Paris."""
    if time_zone not in _time_zones():
        raise Validation(f"Unknown time zone: {time_zone!r} (use an IANA name such as "
                         "'Europe/Paris')", details={"field": "time_zone"})


def check_locale(locale: str) -> None:
    """Raise Validation unless ``locale`` looks like a BCP 47 tag (en, es, pt-BR ...)."""
    if not _LOCALE.match(locale):
        raise Validation(f"Invalid locale: {locale!r} (use a language tag such as 'en' or "
                         "'pt-BR')", details={"field": "locale"})


def check_full_name(full_name: str) -> str:
    """The trimmed name; raise Validation when empty or too long."""
    name = full_name.strip()
    if not name or len(name) > FULL_NAME_MAX:
        raise Validation(f"full_name must be 1 to {FULL_NAME_MAX} characters",
                         details={"field": "full_name"})
    return name


async def update_me(ctx: Context, *, full_name: str | None = None, locale: str | None = None,
                    time_zone: str | None = None) -> User:
    """Change the viewer's name, locale and time zone; fields left None stay as they are."""
    user_id = ctx.viewer.require_user()
    name = check_full_name(full_name) if full_name is not None else None
    if locale is not None:
        check_locale(locale)
    if time_zone is not None:
        check_time_zone(time_zone)
    async with ctx.db.transaction() as session:
        user = await session.get(User, user_id, with_for_update={"key_share": True})
        if name is not None:
            user.display_name = name
        if locale is not None:
            user.locale = locale
        if time_zone is not None:
            user.time_zone = time_zone
        await session.flush()
        await session.refresh(user)
    ctx.loaders.get(UserByIdLoader).clear(user_id).prime(user_id, user)
    return user


async def get_profile(ctx: Context, *, user_id: uuid.UUID) -> UserProfile | None:
    """The onboarding answers of a user, through the request's loader; None when there are
    none or the viewer is neither the user nor a platform admin."""
    if not is_self_or_admin(ctx, user_id):
        return None
    return await ctx.loaders.get(UserProfileByUserIdLoader).load(user_id)


def subject_ids_value():
    """``get_subject_ids``'s list as the global ids the schema shows, ascending (empty
    where there are none), as a SQL expression on users (the caller decides who sees it)."""
    preference = UserSubjectPreference
    global_id = func.encode(func.convert_to(func.concat("Subject:", preference.subject_id),
                                            "UTF8"), "base64")
    return select(func.coalesce(func.json_agg(aggregate_order_by(
        global_id, preference.subject_id)), literal_column("'[]'::json"))).where(
        preference.user_id == User.id).scalar_subquery()


async def get_subject_ids(ctx: Context, *, user_id: uuid.UUID) -> list[int] | None:
    """Ids of the subjects a user said they prefer, ascending; None (not shown) when the
    viewer is neither the user nor a platform admin."""
    if not is_self_or_admin(ctx, user_id):
        return None
    return await ctx.loaders.get(SubjectIdsByUserIdLoader).load(user_id)
